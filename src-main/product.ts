/** Facts about the product every layer may need, kept below all of them. */
export const VERSION = '0.1.0'

/** The catalogue's SQLite file inside a data folder. */
export const DATABASE_FILE = 'catalogue.sqlite'
