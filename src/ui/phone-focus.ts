/**
 * Where the keyboard focus goes when a phone-sized layout swaps the contact list and the chat
 * (docs/app.md "Phones and keyboards"): the list and the chat are two screens there, so the
 * element that had focus disappears with its screen. Opening a chat moves focus to the chat's
 * heading (a screen reader reads who it is with; the on-screen keyboard does not pop up, as it
 * would for the composer); Back returns it to the contact that was opened. On a wide layout both
 * stay on screen and focus is left where the person put it.
 * @module
 */
import { tick } from 'svelte';

/** The width at or below which the list and the chat are two screens (theme.css). */
export const PHONE_LAYOUT = '(max-width: 760px)';

function isPhoneLayout(): boolean {
  return window.matchMedia(PHONE_LAYOUT).matches;
}

/** After the chat screen is drawn, focuses its heading (phone layout only). */
export async function focusOpenedChat(): Promise<void> {
  if (!isPhoneLayout()) return;
  await tick();
  document.querySelector<HTMLElement>('[data-testid="chat-heading"]')?.focus();
}

/** After the list screen is drawn again, focuses the contact whose chat was open (phone layout only). */
export async function focusOpenedContact(): Promise<void> {
  if (!isPhoneLayout()) return;
  await tick();
  document.querySelector<HTMLElement>('[data-testid="contact-item"][aria-current="true"]')?.focus();
}
