// Live username check for the create-account form: asks the server whether the username is available
// (it says only "available" or "not available") a moment after the patient stops typing. The server checks
// again on submit; the page works without this script.
(function () {
  'use strict';
  var input = document.getElementById('username');
  var status = document.getElementById('username-status');
  var form = document.getElementById('enroll-form');
  if (!input || !status || !form) return;
  var base = form.getAttribute('action');
  var timer = null;
  var last = '';
  function show(text, cls) { status.textContent = text; status.className = 'hint ' + cls; }
  function check() {
    var value = input.value.trim();
    if (value === last) return;
    last = value;
    if (!value) { show('', ''); return; }
    fetch(base + '/username?u=' + encodeURIComponent(value), { headers: { accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (input.value.trim() !== value) return;
        if (body.status === 'ok') show('\u2713 Available', 'ok');
        else if (body.status === 'not-available') show('\u2717 Not available', 'bad');
        else if (body.status === 'invalid') show('\u2717 ' + body.rule, 'bad');
        else show('', '');
      })
      .catch(function () { show('', ''); });
  }
  input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(check, 400); });
})();
