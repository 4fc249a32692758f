import { readdir, readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toolError } from '../errors.js'

/** One file of the page, held in memory (they are a few KiB, and served on every open). */
export interface Asset {
  body: Buffer
  type: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** Where the build puts the page (scripts/build-web.mjs): dist/lib/web/static, beside this module. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('./static/', import.meta.url))

/**
 * The page's files, by URL path (`/` is index.html). Only the files of the
 * known types in `dir` itself are served: nothing else on disk can be
 * reached through the bridge. ERR_WEB_ASSETS_MISSING when the build did
 * not put them there.
 */
export async function loadAssets (dir = DEFAULT_ASSETS_DIR): Promise<Map<string, Asset>> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    throw toolError('ERR_WEB_ASSETS_MISSING', `the web page's files are not in ${dir}; run npm run build`, err)
  }
  const assets = new Map<string, Asset>()
  for (const name of names) {
    const type = TYPES[extname(name)]
    if (type === undefined) continue
    assets.set('/' + name, { body: await readFile(join(dir, name)), type })
  }
  const index = assets.get('/index.html')
  if (index === undefined) throw toolError('ERR_WEB_ASSETS_MISSING', `the web page's index.html is not in ${dir}; run npm run build`)
  assets.set('/', index)
  return assets
}
