import os from 'node:os'
import { isAbsolute, join } from 'node:path'
import {
  AUTHORIZED_KEYS_FILE, CONFIG_DIR_NAME, DEFAULT_KEY_FILE, KNOWN_HOSTS_FILE, PUBLIC_KEY_FILE_SUFFIX
} from '../constants.js'

/** Where noise-chat keeps its own key and its trust files, all overridable by the caller. */
export interface ConfigPaths {
  /** The config folder: `$XDG_CONFIG_HOME/noise-chat`, else `~/.config/noise-chat`. */
  dir: string
  /** The user's own private key (`id_x25519`). */
  keyFile: string
  /** Its public half (`id_x25519.pub`). */
  publicKeyFile: string
  /** The initiator's trusted server keys (`known_hosts`). */
  knownHostsFile: string
  /** The responder's allowed client keys (`authorized_keys`). */
  authorizedKeysFile: string
}

/**
 * The config folder. Follows the XDG base directory spec: `$XDG_CONFIG_HOME`
 * when it is set to an absolute path (the spec says to ignore a relative
 * one), else `$HOME/.config`; `HOME` falls back to the OS's idea of home.
 */
export function configDir (env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME']
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, CONFIG_DIR_NAME)
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : os.homedir()
  return join(home, '.config', CONFIG_DIR_NAME)
}

/** The default location of every identity file, for the given environment. */
export function defaultPaths (env: NodeJS.ProcessEnv = process.env): ConfigPaths {
  const dir = configDir(env)
  const keyFile = join(dir, DEFAULT_KEY_FILE)
  return {
    dir,
    keyFile,
    publicKeyFile: publicKeyPathFor(keyFile),
    knownHostsFile: join(dir, KNOWN_HOSTS_FILE),
    authorizedKeysFile: join(dir, AUTHORIZED_KEYS_FILE)
  }
}

/** The `.pub` file written beside a private key file. */
export function publicKeyPathFor (privateKeyFile: string): string {
  return privateKeyFile + PUBLIC_KEY_FILE_SUFFIX
}
