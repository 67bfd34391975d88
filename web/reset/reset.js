// Live checklist for the reset form: ticks each rule as the patient types. The server checks every rule
// again (including the common-password, username and last-name rules this script cannot know).
(function () {
  'use strict';
  var password = document.getElementById('password');
  var confirm = document.getElementById('confirm');
  if (!password || !confirm) return;
  var checks = {
    length: function (p) { return p.length >= 8 && p.length <= 200; },
    upper: function (p) { return /[A-Z]/.test(p); },
    lower: function (p) { return /[a-z]/.test(p); },
    number: function (p) { return /[0-9]/.test(p); },
    special: function (p) { return /[^A-Za-z0-9\s]/.test(p); },
    'no-edge-space': function (p) { return p.length > 0 && p === p.trim(); },
    match: function (p, c) { return p.length > 0 && p === c; }
  };
  function update() {
    var items = document.querySelectorAll('#rules li[data-rule]');
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      var check = checks[li.getAttribute('data-rule')];
      if (!check) continue;
      var ok = check(password.value, confirm.value);
      li.className = ok ? 'ok' : 'bad';
      li.querySelector('.mark').textContent = ok ? '\u2713' : '\u2717';
    }
  }
  password.addEventListener('input', update);
  confirm.addEventListener('input', update);
  update();
})();
