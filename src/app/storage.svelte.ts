/**
 * Storage that lasts (docs/pwa.md "Storage"): asks the browser to keep Parley's data
 * (`navigator.storage.persist()`) on the first run and after each new contact, says in the identity
 * panel whether it does, and suggests a backup once there is a first contact to lose.
 * @module
 */
import { browserKeyValue, readJson, writeJson, type KeyValue } from './attention';

/** The parts of `StorageManager` used here (absent in old browsers and insecure contexts). */
export type PersistApi = Pick<StorageManager, 'persist' | 'persisted'>;

const SUGGEST_KEY = 'parley.backupSuggest';

export class StorageState {
  /** Whether the browser keeps this site's data when space runs low; null while unknown or not said. */
  persisted = $state<boolean | null>(null);
  /** The person dismissed the backup suggestion (or acted on it). */
  suggestDismissed = $state(false);

  constructor(
    private readonly api: PersistApi | undefined = globalThis.navigator?.storage,
    private readonly kv: KeyValue = browserKeyValue(),
  ) {
    this.suggestDismissed = readJson(this.kv, SUGGEST_KEY, false, (v): v is boolean => typeof v === 'boolean');
  }

  /** Reads whether storage is persistent now (a granted notification permission can change it in Chromium). */
  async check(): Promise<void> {
    try {
      this.persisted = this.api ? await this.api.persisted() : null;
    } catch {
      this.persisted = null;
    }
  }

  /**
   * Asks for persistent storage unless it is already granted. Chromium decides by itself (site use,
   * installation, notifications); Firefox asks the person, which is why this runs at moments
   * that explain themselves (first run, a new contact) and not on every load.
   */
  async request(): Promise<void> {
    if (!this.api || this.persisted) return;
    try {
      this.persisted = await this.api.persist();
    } catch {
      await this.check();
    }
  }

  dismissSuggest(): void {
    this.suggestDismissed = true;
    writeJson(this.kv, SUGGEST_KEY, true);
  }
}
