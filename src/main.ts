import { mount } from 'svelte';
import App from './ui/App.svelte';
import { stashInviteFromUrl } from './app/invite-url';

// An invite in the address bar leaves it (and the history entry) before anything else runs: the
// page replaces itself with the URL without the fragment, and the next page opens the invite.
if (!stashInviteFromUrl(location, () => sessionStorage)) {
  const target = document.getElementById('app');
  if (!target) throw new Error('index.html is missing #app');
  mount(App, { target });
}
