// Live checklist for the reset form: ticks each rule as the patient types. The server checks every rule
// again (including the common-password, username and last-name rules this script cannot know).
(function () {
  'use strict';
  var password = document.getElementById('password');
  var confirm = document.getElementById('confirm');
  if (!password || !confirm) return;
  // The same patterns as services/passwords/policy.ts (Unicode-aware; length in characters, not UTF-16 units),
  // on the same NFKC form the server checks.
  var checks = {
    length: function (p) { var n = Array.from(p).length; return n >= 8 && n <= 200; },
    upper: function (p) { return /\p{Lu}/u.test(p); },
    lower: function (p) { return /\p{Ll}/u.test(p); },
    number: function (p) { return /\p{N}/u.test(p); },
    special: function (p) { return /[^\p{L}\p{N}\s]/u.test(p); },
    'no-edge-space': function (p) { return p.length > 0 && p === p.trim(); },
    'no-hidden': function (p) { return !/[\p{Cc}\p{Cf}]/u.test(p); },
    match: function (p, c) { return p.length > 0 && p === c; }
  };
  function update() {
    var items = document.querySelectorAll('#rules li[data-rule]');
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      var check = checks[li.getAttribute('data-rule')];
      if (!check) continue;
      var ok = check(password.value.normalize('NFKC'), confirm.value.normalize('NFKC'));
      li.className = ok ? 'ok' : 'bad';
      li.querySelector('.mark').textContent = ok ? '\u2713' : '\u2717';
    }
  }
  password.addEventListener('input', update);
  confirm.addEventListener('input', update);
  update();
})();
