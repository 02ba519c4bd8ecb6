/**
 * The classes of defect an independent security probe found (issue 19), each with how it is closed
 * and the tests that hold it closed. Written into docs/reliability.md by every run; the tests run in
 * `npm test` (the fuzz tests included) and the stalled downloads also in check a.
 */
export const SECURITY_CLASSES: { name: string; fix: string; tests: string }[] = [
  {
    name: 'A request holding the catalogue while it waits on a client',
    fix: 'Whole-layer reads go in chunks of 2,000 features, each statement finished before its chunk is sent (db/repositories/feature.repository.ts); downloads drop a connection that makes no progress for 60 s and stop when the client leaves (http/streaming.ts); sync writes its layer export from the same chunks.',
    tests: 'test/api/held-connection.test.ts (a write and a sign-in answer while an export is stalled mid-body; a dropped export; the GeoPackage export and the originals zip); check a of `npm run reliability` runs stalled and dropped exports under load'
  },
  {
    name: 'User input evaluated unbounded on the thread that serves every request',
    fix: 'Regular expressions of filters and `$` search fields run on a linear-time engine (re2js, db/regex.ts), patterns over 256 characters or using backreferences or look-around are a 400; LIKE patterns of OGC filters are matched in polynomial time without building a regular expression (ows/filter.ts); SLD and ISO side-car XML is parsed in the ingest worker with a 10 MB limit (413 naming the file).',
    tests: 'test/api/query-limits.test.ts, test/api/side-car-xml.test.ts, test/unit/ogc-filter.test.ts (PropertyIsLike), the backtracking cases of test/api/hostile-queries.test.ts'
  },
  {
    name: 'Input too broad or too deep to process (a 500, a stack overflow)',
    fix: 'At most 64 filters, 16 sort fields, 64 distinct search words and 16 search fields per query (drest.parse.ts); JSON values the catalogue keeps (geoapp data, geostory blobs, map layer params, MapStore configurations and metadata) nest at most 100 levels; side-car XML and OGC request bodies at most 100 and 256 levels; OGC filters at most 500 operators. Each refusal is a 400 naming the field or file.',
    tests: 'test/api/query-limits.test.ts, test/api/hostile-nesting.test.ts (fast-check over every JSON write route and both side-car routes), test/api/hostile-queries.test.ts (breadth extremes)'
  },
  {
    name: 'Sign-in throttling that others can defeat or turn against an owner',
    fix: 'Locks are kept until they expire, the table freeing stale then unlocked entries first; failures count per account and party (a credential holder, another origin, this origin, a direct client) and only for accounts that exist, so a script locks itself out, not the desktop app; a session sign-in posted by a page of another origin is refused outright (login CSRF).',
    tests: 'test/unit/sign-in-throttle.test.ts, test/api/sign-in-parties.test.ts, the login CSRF case of test/api/auth.test.ts'
  },
  {
    name: 'Relation paths exposing what the related object hides',
    fix: 'owner, poc and metadata_author expose to filters, sorts, ordering and search fields exactly the user fields /users exposes (no e-mail).',
    tests: 'test/api/relation-fields.test.ts'
  },
  {
    name: 'Privilege escalation by staff',
    fix: 'Only a superuser grants superuser status or changes a superuser (profile, password, flags, deletion); backup download and restore are superuser-only (docs/decisions.md says what staff may do).',
    tests: 'test/api/staff-powers.test.ts'
  },
  {
    name: 'Credentials outliving a password change, a deactivation or their own life',
    fix: 'A password set by an administrator revokes every token, session and refresh token of the user; one\'s own change keeps only the credential making it; deactivation revokes all; refresh tokens expire after 30 days and expired rows are deleted.',
    tests: 'test/api/token-revocation.test.ts'
  },
  {
    name: 'Files served by id without their resource\'s permission',
    fix: 'A style answers only callers who may view a layer using it; features, rasters, exports, originals, upload files and document downloads check view or download; thumbnails stay public, as GeoNode\'s are. OGC GetFeature and GetCoverage follow the download right, capabilities list only what the caller may view.',
    tests: 'test/api/file-permissions.test.ts, the permission cases of the OGC tests (test/api/ows-*.test.ts)'
  },
  {
    name: 'Stored URLs that are not web addresses, and requests to third parties',
    fix: 'doc_url, thumbnail_url, group logo and map layer ows_url accept http(s) only (400 naming the field); the GUI never renders another scheme, shows images from other servers only when asked, never asks Gravatar, and the API client sends its credentials only to its own server.',
    tests: 'test/api/url-fields.test.ts, test/e2e/external-links.test.ts, test/unit/client-credentials.test.ts'
  },
  {
    name: 'State-changing GETs used from another page of the same host',
    fix: '/upload/srs and /upload/delete change state on GET as GeoNode\'s do; a session-authenticated request to them is refused unless Sec-Fetch-Site says it comes from this origin (SameSite=Strict does not separate ports).',
    tests: 'test/api/upload-wizard-gets.test.ts'
  },
  {
    name: 'Identity and encoding slips',
    fix: 'Ids the API shows are never reused after a delete (a counter per table); multipart file names are read as UTF-8; plain-path links to GUI pages redirect to their hash form instead of a blank page.',
    tests: 'test/api/ids-never-reused.test.ts, test/api/upload-names.test.ts, test/e2e/deep-links.test.ts'
  }
]

export function securitySection(): string[] {
  return [
    '## Security classes',
    '',
    'Each class of defect an independent probe found, closed as a class, with the tests that keep it closed (they run in `npm test`).',
    '',
    '| class | how it is closed | tests |',
    '| --- | --- | --- |',
    ...SECURITY_CLASSES.map((c) => `| ${c.name} | ${c.fix} | ${c.tests} |`)
  ]
}
