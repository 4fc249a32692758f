/**
 * noise-chat: the public API. Everything a user may import is exported here
 * and nowhere else.
 */
export * from './errors.js'
export * as constants from './constants.js'
