// tminus login page: says so when the coordinator sent the browser back
// after a token it did not accept (/login?failed=1). The token itself only
// ever travels in the form's POST body.
'use strict';

(() => {
  const failed = /(?:^\?|&)failed=/.test(location.search) || location.hash === '#bad-token';
  const note = document.getElementById('bad-token');
  if (note) note.hidden = !failed;
})();
