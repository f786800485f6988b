/**
 * Renaming a contact (docs/app.md "Renaming a contact"): the person's own label for them, edited
 * in the chat header and kept apart from the name they chose. The label is cleaned and bounded
 * when saved (`withLabel`, contacts.svelte.ts); an empty one falls back to their name.
 * @module
 */
import type { ContactRecord } from '../store/db';
import type { ContactsState } from './contacts.svelte';
import { MAX_CONTACT_LABEL_BYTES } from '../core/peer-text';
import { appError, type AppError } from './errors';

/** The rename form of the open chat's contact. */
export class ContactRename {
  /** The contact whose label is being edited, if any. */
  editing = $state<string | null>(null);
  /** What the field holds (cleaned only on save, so typing a space between words works). */
  draft = $state('');
  /** Why the last save failed, when it did (`STORAGE_FAILED`). */
  problem = $state<AppError | null>(null);

  /** Whether the field holds more than a label may (the saved label is its start). */
  readonly tooLong = $derived(new TextEncoder().encode(this.draft.trim()).length > MAX_CONTACT_LABEL_BYTES);

  constructor(private readonly contacts: Pick<ContactsState, 'rename'>) {}

  /** "Rename…": opens the form with the current label (empty when there is none). */
  open(c: ContactRecord): void {
    this.editing = c.key;
    this.draft = c.label ?? '';
    this.problem = null;
  }

  cancel(): void {
    this.editing = null;
    this.problem = null;
  }

  /** Saves the label (none when the field is empty); the form closes once it is stored. */
  async save(): Promise<void> {
    const key = this.editing;
    if (!key) return;
    try {
      await this.contacts.rename(key, this.draft);
      this.editing = null;
      this.problem = null;
    } catch {
      this.problem = appError('STORAGE_FAILED');
    }
  }
}
