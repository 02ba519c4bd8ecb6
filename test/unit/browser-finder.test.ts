import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findChromium } from '../helpers/browser'

describe('the browser tests find a browser where a newcomer has one', () => {
  let dir: string
  const saved = { PATH: process.env.PATH, MAPSHELF_CHROMIUM: process.env.MAPSHELF_CHROMIUM }
  const fake = (name: string) => {
    const file = join(dir, name)
    writeFileSync(file, '#!/bin/sh\n')
    chmodSync(file, 0o755)
    return file
  }
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mapshelf-browser-'))
    delete process.env.MAPSHELF_CHROMIUM
    process.env.PATH = dir
  })
  afterEach(() => {
    process.env.PATH = saved.PATH
    if (saved.MAPSHELF_CHROMIUM === undefined) delete process.env.MAPSHELF_CHROMIUM
    else process.env.MAPSHELF_CHROMIUM = saved.MAPSHELF_CHROMIUM
    rmSync(dir, { recursive: true, force: true })
  })

  it('takes MAPSHELF_CHROMIUM first, and nothing else when it names no file', () => {
    fake('chromium')
    process.env.MAPSHELF_CHROMIUM = fake('my-chrome')
    expect(findChromium()).toBe(join(dir, 'my-chrome'))
    process.env.MAPSHELF_CHROMIUM = join(dir, 'missing')
    expect(findChromium()).toBeNull()
  })

  it('looks on PATH in the documented order', () => {
    fake('google-chrome-stable')
    expect(findChromium()).toBe(join(dir, 'google-chrome-stable'))
    fake('chromium-browser')
    expect(findChromium()).toBe(join(dir, 'chromium-browser'))
    fake('chromium')
    expect(findChromium()).toBe(join(dir, 'chromium'))
  })

  it('passes over a file on PATH that cannot be run', () => {
    writeFileSync(join(dir, 'chromium'), 'not a program')
    const found = findChromium()
    expect(found).not.toBe(join(dir, 'chromium'))
  })
})
