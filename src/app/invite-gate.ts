/**
 * The invites this tab opens or makes, and when they may go through (docs/app.md "Invites
 * (invitee)", docs/tabs.md §5): an invite from the address bar waits in memory until the person
 * has a name and this tab owns the network; opening or making one in a tab that does not own the
 * network is refused with `TAB_NOT_OWNER` (invites need the relay, which only the owner holds).
 * @module
 */
import { stashInviteFromUrl, takeStashedInvite } from './invite-url';
import { appError, type AppError } from './errors';
import type { PairingState } from './pairing.svelte';
import type { TabLink } from './tabs.svelte';

/** What the gate reads of the app, each read afresh (the parts are made after the gate). */
export interface InviteGateParts {
  pairing(): PairingState | null;
  tabs(): Pick<TabLink, 'owner'> | null;
  /** The person has not chosen a display name yet. */
  needsName(): boolean;
  /** Shows an error in the banner, or clears it (null). */
  setError(e: AppError | null): void;
}

export class InviteGate {
  private pendingInvite: string | null = null;

  constructor(private readonly app: InviteGateParts) {}

  /** An invite from the address bar waits for a name or for the network. */
  get hasPending(): boolean {
    return this.pendingInvite !== null;
  }

  /**
   * Takes the invite main.ts stashed (the page replaced itself without the fragment), or the one
   * in the address bar, and watches for a link typed into the address bar of this open tab.
   */
  watchAddressBar(): void {
    this.pendingInvite = takeStashedInvite(() => sessionStorage);
    if (!this.pendingInvite) this.takeInviteFromUrl();
    window.addEventListener('hashchange', () => {
      if (stashInviteFromUrl(location, () => sessionStorage)) return; // the page reloads with it
      if (this.takeInviteFromUrl()) void this.openPending();
    });
  }

  /**
   * Reads `#invite=…`, keeps it in memory and removes it from the address bar — only where
   * sessionStorage refused to carry it across the replacing navigation (invite-url.ts).
   */
  private takeInviteFromUrl(): boolean {
    const h = location.hash;
    if (!h.startsWith('#invite=')) return false;
    this.pendingInvite = location.href;
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  /** Opens the invite from the address bar once we have a display name and own the network. */
  async openPending(): Promise<void> {
    // A tab that does not own the network keeps it until it does (docs/tabs.md §5).
    if (!this.pendingInvite || !this.app.pairing() || this.app.needsName() || !this.app.tabs()?.owner) return;
    const text = this.pendingInvite;
    this.pendingInvite = null;
    await this.open(text);
  }

  /** This tab follows another: an invite waiting in the address bar says why nothing happens. */
  following(): void {
    if (this.pendingInvite) this.app.setError(appError('TAB_NOT_OWNER'));
  }

  /** Invites need the relay: in a tab that does not own the network they are refused (docs/tabs.md §5). */
  private notOwner(): AppError | null {
    const tabs = this.app.tabs();
    return tabs && !tabs.owner ? appError('TAB_NOT_OWNER') : null;
  }

  /** Opens a link or code (pasted, or from the address bar); it asks before it dials. */
  async open(text: string): Promise<void> {
    const refused = this.notOwner();
    this.app.setError(refused);
    if (refused) return;
    await this.app.pairing()?.open(text);
  }

  /** "Connect" on an opened invite (docs/app.md "Invites (invitee)"): only now is it dialed. */
  confirm(): void {
    this.app.setError(null);
    this.app.pairing()?.confirm();
  }

  /** "Invite someone". */
  async create(): Promise<void> {
    const refused = this.notOwner();
    this.app.setError(refused);
    if (refused) return;
    await this.app.pairing()?.create();
  }

  /** Pairing for a group invite, or null (with the banner saying why) in a tab that does not own the network. */
  pairingIfOwner(): PairingState | null {
    const refused = this.notOwner();
    if (refused) this.app.setError(refused);
    return refused ? null : this.app.pairing();
  }
}
