import type Sqlite from 'better-sqlite3'
import ExcelJS from 'exceljs'
import { type FeatureAnswer, type Sink, chunksOf } from '../output'
import { cellsOf, headerOf } from './csv'

/** Excel's limits: rows per sheet and characters per cell. */
const MAX_ROWS = 1_048_576
const MAX_CELL = 32_767

/**
 * An Excel 2007 workbook (.xlsx) written by exceljs's streaming writer: one sheet per feature
 * type, a header row, one row per feature, geometries as WKT (cut at Excel's 32,767 characters
 * per cell). Rows are committed a chunk at a time and the writer waits for the client between
 * chunks.
 */
export async function writeExcel(sqlite: Sqlite.Database, answer: FeatureAnswer, sink: Sink): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink.res, useStyles: false, useSharedStrings: false })
  for (const page of answer.pages) {
    const sheet = workbook.addWorksheet(page.layer.name.slice(0, 31))
    sheet.addRow(headerOf(page)).commit()
    let rows = 1
    for (const chunk of chunksOf(sqlite, page, false)) {
      for (const feature of chunk) {
        if (++rows > MAX_ROWS) break
        sheet.addRow(cellsOf(feature, page).map((v) => (typeof v === 'string' && v.length > MAX_CELL ? v.slice(0, MAX_CELL) : v))).commit()
      }
      await sink.drained()
    }
    sheet.commit()
  }
  await workbook.commit()
}
