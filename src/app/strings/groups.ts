/**
 * The words of groups (docs/groups.md §10): the group list and chat, the members panel, the
 * notices a group's timeline keeps, the admin-away line and the problems an action returns.
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */
import { formatCount, formatList, plural } from '../format';

/** Up to three names in full, then the first two and how many others. */
function names(list: readonly string[]): string {
  if (list.length <= 3) return formatList(list);
  return formatList([...list.slice(0, 2), plural(list.length - 2, { one: '# other', other: '# others' })]);
}

export const groupWords = {
  group: {
    heading: 'Groups',
    create: 'New group',
    nameLabel: 'Group name',
    createSubmit: 'Create group',
    none: 'No groups yet.',
    noContacts: 'No contacts to choose.',
    members: (n: number) => plural(n, { one: '# member', other: '# members' }),
    /** A group item's line: its size, and its state when this device is no longer a member. */
    item: (n: number, state: string | null) =>
      `${plural(n, { one: '# member', other: '# members' })}${state ? ` · ${state}` : ''}`,
    region: (name: string) => `Group ${name}`,
    status: (n: number, admin: string) => `${plural(n, { one: '# member', other: '# members' })} · admin ${admin}`,
    notMember: (state: string) => `You are not in this group (${state}).`,
    hello: (name: string, chosen: string) => `${name} is here${chosen && chosen !== name ? ` (as “${chosen}”)` : ''}.`,
    messageLabel: (name: string) => `Message to ${name}`,
    placeholder: (name: string) => `Message ${name}`,
    send: 'Send',
    membersHeading: 'Members',
    you: ' (you)',
    admin: ' · admin',
    connected: 'connected',
    notConnected: 'not connected',
    removeConfirm: (name: string) => `Remove ${name}`,
    remove: 'Remove…',
    cancel: 'Cancel',
    add: 'Add a contact',
    leave: 'Leave group',
    invite: 'Invite someone new…',
    inviteHint: 'Send this link to someone new; once they connect, you vouch for them to the admin.',
    adminAdds: (admin: string) => `${admin} (the admin) adds them when online.`,
    addSubmit: 'Add',
    /** The admin is offline and `adding`/`introductions` wait for them (docs/groups.md §10.6). */
    adminAway: (admin: string, adding: readonly string[], introductions: readonly string[]) => {
      const parts: string[] = [];
      if (adding.length > 0) parts.push(`adding ${names(adding)}`);
      if (introductions.length > 0) parts.push(`introductions to ${names(introductions)}`);
      return (
        `Waiting for ${admin} (the admin), who is offline: ${parts.join('; ')}. ` +
        `They go out when ${admin} is back; members already introduced keep chatting.`
      );
    },
    /** A newcomer this device vouched for but holds no contact name of. */
    someone: (keyStart: string) => `someone (${keyStart})`,
  },
  /** The notices a group's timeline keeps (written once, when they happen). */
  groupNotice: {
    created: (group: string) => `You made “${group}”.`,
    asked: (admin: string, newcomer: string) => `You asked ${admin} to add ${newcomer}.`,
    askedLeave: 'You asked to leave; the admin confirms it when they are online.',
    introduced: (name: string) => `You and ${name} were introduced.`,
    twoLists: 'The admin signed two different member lists: some members may see another list.',
    joinedYou: (group: string, admin: string) => `You are in “${group}”, made by ${admin}.`,
    joined: (name: string) => `${name} joined the group.`,
    youLeft: 'You left the group.',
    youRemoved: 'You were removed from the group.',
    removed: (name: string) => `${name} is no longer in the group.`,
    renamed: (group: string) => `The group is now called “${group}”.`,
    notAdded: (outcome: string) => `The admin did not add them (${outcome}).`,
    left: (name: string) => `${name} left the group.`,
  },
  /** Why a group action was not done. */
  groupProblem: {
    tooMany: (max: number) => `You are in ${formatCount(max)} groups already: leave one first.`,
    alreadyIn: (name: string) => `${name} is in the group already.`,
    onlyAdminRemoves: 'Only the admin can remove members.',
    adminStays: 'The admin cannot remove itself.',
    notInGroup: 'They are not in the group.',
    adminLeaves: 'You are the admin: remove the other members to end the group.',
    notMember: 'You are not a member of this group any more.',
    noName: 'Give the group a name.',
    noMembers: 'Choose at least one contact.',
    tooLong: (max: number) => `Messages can be at most ${max} characters.`,
    noContact: 'Choose a contact.',
  },
  /** Files in a group (docs/groups.md §7): the offer's buttons and what came of an answer. */
  groupFile: {
    pick: 'Offer files to the group',
    offered: (n: number) => `${n === 1 ? 'A file' : `${n} files`} offered to the group`,
    accept: 'Accept',
    decline: 'Decline',
    tooMany: (max: number) => `A group offer holds at most ${max} files: pick fewer.`,
    tooLarge: 'These files are too large to offer to a group: pick smaller ones.',
    unreadable: 'Could not read the chosen file (moved, deleted, or no permission). Pick it again.',
    answer: {
      requested: 'Asked for it; it comes when the sender is online.',
      declined: 'You declined.',
      receiving: 'Receiving…',
      received: 'Received.',
      mismatch: 'What arrived is not the file that was offered, so do not trust it. Ask the sender to offer it again.',
      gone: 'No longer available: the sender’s page was closed or reloaded. Ask them to offer it again.',
      stopped: 'The transfer stopped before the file was complete. Ask the sender to offer it again.',
    },
    save: 'Save',
    notHere: 'That file offer is not here any more.',
  },
} as const;
