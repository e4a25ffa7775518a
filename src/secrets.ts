/**
 * @module secrets
 * `hotspotd secrets`: the package's first-install step, run once by OpenWrt from
 * /etc/uci-defaults/95_hotspotd. It gives a fresh install a random API key and a random admin
 * password where the config has none, and never replaces one, so a reinstall or an upgrade keeps
 * what the owner set. The password is shown only on a terminal (`opkg install` from a shell);
 * at first boot of a firmware image nobody reads the console, and the owner sets their own with
 * `hotspotd passwd`. Neither secret is ever written to the log.
 */
import { loadConfig, saveAdminPasswordHash, saveNewApiKey } from './config/config'
import { hashPassword, randomPassword } from './config/password'

export interface SecretsIo {
  /** Standard output. */
  write: (text: string) => void
  /** Whether a person reads standard output. */
  isTTY: boolean
}

/** What was generated: the API key, the admin password, both or neither. */
export interface SecretsDone { key: boolean; password: boolean }

/**
 * Generates and saves what `configFile` lacks.
 * @throws ConfigError when the file cannot be read, is invalid, or cannot be saved
 */
export const runSecrets = async (configFile: string, io: SecretsIo): Promise<SecretsDone> => {
  const { config } = loadConfig(configFile)
  const done: SecretsDone = { key: false, password: false }
  if (config.api.key === '') {
    const key = saveNewApiKey(configFile)
    done.key = true
    io.write(io.isTTY
      ? `hotspotd: generated the API key ${key} (api.key; show it again with: uci get hotspotd.api.key)\n`
      : 'hotspotd: generated an API key (show it with: uci get hotspotd.api.key)\n')
  }
  if (config.adminPasswordHash === '') {
    const password = randomPassword()
    saveAdminPasswordHash(configFile, await hashPassword(password))
    done.password = true
    io.write(io.isTTY
      ? `hotspotd: generated the password ${password} for user admin; it is not shown again (change it with: hotspotd passwd)\n`
      : 'hotspotd: generated a password for user admin; set your own with: hotspotd passwd\n')
  }
  if (!done.key && !done.password) io.write('hotspotd: the API key and the admin password are already set; nothing changed\n')
  return done
}
