// The staff console: sign in, live queue (server-sent events), claim, several conversations at once, watch,
// reply, transfer, end, return to bot, practice requests (resolve), invitations, and the supervisor's day view.
// Everything shown is set with textContent: nothing from the server is ever parsed as HTML.
'use strict';
(function () {
  var csrf = '';
  var me = null; // { staffId, name, role }
  var current = null; // the handoff id open in the transcript pane
  var currentMine = false;
  var events = null;
  var requestsTimer = null;
  var $ = function (id) { return document.getElementById(id); };

  var KIND = {
    'token-renewal': 'New enrollment token',
    reactivation: 'Reactivate account',
    'reset-token': 'Password reset token',
    enrollment: 'Enrollment (approving emails an invitation)',
    callback: 'Call back',
  };

  function api(method, path, body) {
    var headers = { 'content-type': 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    return fetch('/staff/api/' + path, { method: method, headers: headers, credentials: 'same-origin', body: body ? JSON.stringify(body) : undefined })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (res.status === 401) showSignIn();
          return { status: res.status, data: data };
        });
      });
  }

  function showSignIn() {
    $('signin').hidden = false; $('console').hidden = true; $('signout').hidden = true; $('me').textContent = '';
    if (events) { events.close(); events = null; }
    if (requestsTimer) { clearInterval(requestsTimer); requestsTimer = null; }
  }

  function started(session) {
    csrf = session.csrfToken;
    me = { staffId: session.staffId, name: session.name, role: session.role };
    $('me').textContent = 'Signed in as ' + me.name + ' (' + me.role + ')';
    $('signin').hidden = true; $('console').hidden = false; $('signout').hidden = false;
    $('today').hidden = me.role !== 'supervisor';
    refreshQueue(); refreshRequests(); if (me.role === 'supervisor') refreshToday();
    requestsTimer = setInterval(refreshRequests, 30000);
    events = new EventSource('/staff/api/events');
    events.addEventListener('queued', refreshQueue);
    events.addEventListener('claimed', function (e) { refreshQueue(); var d = JSON.parse(e.data); if (d.id === current) $('alert').textContent = ''; });
    events.addEventListener('transferred', function (e) {
      refreshQueue();
      var d = JSON.parse(e.data);
      if (d.id === current) setMine(d.staffId === me.staffId, d.staffName);
    });
    events.addEventListener('closed', function (e) {
      refreshQueue();
      var d = JSON.parse(e.data);
      if (d.id === current && d.status !== 'claimed') { setMine(false); $('conv-title').textContent = current + ' (' + d.status + ')'; }
    });
    events.addEventListener('message', function (e) {
      var d = JSON.parse(e.data);
      if (d.id === current) addEntry(d.entry);
      if (d.entry && d.entry.alert) $('alert').textContent = 'EMERGENCY in ' + d.id + ': ' + d.entry.text;
    });
    // "Open in console" from a Teams card links to /staff#H-…
    var m = /^#(H-[A-Z0-9]{8})$/.exec(location.hash);
    if (m) openHandoff(m[1]);
  }

  function el(tag, text, cls) { var n = document.createElement(tag); if (text) n.textContent = text; if (cls) n.className = cls; return n; }
  function button(text, onClick) { var b = el('button', text); b.type = 'button'; b.addEventListener('click', onClick); return b; }
  function minutesSince(now, ms) { return Math.max(0, Math.round((now - ms) / 60000)); }

  function refreshQueue() {
    api('GET', 'queue').then(function (r) {
      var list = $('queue'); list.textContent = '';
      (r.data.waiting || []).forEach(function (h) {
        var li = el('li', '#' + h.position + ' ' + h.id + ' · ' + h.channel + ' · waiting ' + minutesSince(r.data.now, h.enqueuedAt) + ' min · ' + h.reason);
        li.dataset.id = h.id;
        li.appendChild(document.createTextNode(' '));
        li.appendChild(button('Claim', function () { claim(h.id); }));
        list.appendChild(li);
      });
      if (!list.children.length) list.appendChild(el('li', 'Nobody is waiting.'));

      var active = $('active'); active.textContent = '';
      (r.data.active || []).forEach(function (h) {
        var mine = me && h.staffId === me.staffId;
        var li = el('li', h.id + ' · ' + h.channel + ' · with ' + (mine ? 'you' : h.staffName) + ' · ' + minutesSince(r.data.now, h.claimedAt || h.enqueuedAt) + ' min', mine ? 'mine' : '');
        li.dataset.id = h.id;
        li.appendChild(document.createTextNode(' '));
        li.appendChild(button(mine ? 'Open' : 'Watch', function () { open(h.id, mine, h.staffName); }));
        active.appendChild(li);
      });
      if (!active.children.length) active.appendChild(el('li', 'No conversations with staff.'));
    });
  }

  function refreshRequests() {
    api('GET', 'requests').then(function (r) {
      var list = $('requests'); list.textContent = '';
      (r.data.requests || []).concat(r.data.callbacks || []).forEach(function (q) {
        var li = el('li', q.requestId + ' · ' + (KIND[q.kind] || q.kind) + ' · ' + q.createdAt.slice(0, 16).replace('T', ' '), 'request');
        li.dataset.id = q.requestId;
        if (q.kind === 'callback') {
          li.appendChild(el('div', 'Contact: ' + (q.contact || '(none)') + ' · ' + q.channel + ' · ' + q.reason));
          li.appendChild(button('Mark done', function () { resolve(q.requestId, undefined, li); }));
        } else {
          li.appendChild(el('div', [q.firstName, q.lastName].join(' ') + ' · born ' + q.dateOfBirth + ' · ' + [q.contact && q.contact.email, q.contact && q.contact.phone].filter(Boolean).join(', ')));
          var form = el('form'); var input = el('input');
          input.placeholder = 'Patient id'; input.required = true; input.maxLength = 64; input.setAttribute('aria-label', 'Patient id for ' + q.requestId);
          var submit = el('button', 'Resolve'); submit.type = 'submit';
          form.appendChild(input); form.appendChild(submit);
          form.addEventListener('submit', function (e) { e.preventDefault(); resolve(q.requestId, input.value.trim(), li); });
          li.appendChild(form);
        }
        list.appendChild(li);
      });
      if (!list.children.length) list.appendChild(el('li', 'No open requests.'));
    });
  }

  function resolve(id, patientId, li) {
    api('POST', 'requests/' + encodeURIComponent(id) + '/resolve', patientId ? { patientId: patientId } : {}).then(function (r) {
      var lines = (r.data.output || []).concat(r.data.errors || []);
      if (r.data.error) lines.push(r.data.error);
      li.appendChild(el('div', (r.status === 200 ? 'Done. ' : 'Not resolved. ') + lines.join(' '), r.status === 200 ? 'ok' : 'alert'));
      if (r.status === 200) setTimeout(refreshRequests, 1500);
      if (me && me.role === 'supervisor') refreshToday();
    });
  }

  function refreshToday() {
    api('GET', 'today').then(function (r) {
      if (r.status !== 200) return;
      var s = r.data.summary || {};
      var parts = Object.keys(s.byStatus || {}).map(function (k) { return s.byStatus[k] + ' ' + k; });
      $('today-summary').textContent = (s.handoffs || 0) + ' handoffs today' + (parts.length ? ' (' + parts.join(', ') + ')' : '') +
        (s.medianWaitSeconds !== null && s.medianWaitSeconds !== undefined ? '; median wait ' + Math.round(s.medianWaitSeconds / 60) + ' min' : '') +
        '; ' + (r.data.requests || []).length + ' practice requests, ' + (r.data.callbacks || []).length + ' callbacks.';
      var rows = $('today-rows'); rows.textContent = '';
      var add = function (ref, kind, status, staff, when) {
        var tr = el('tr');
        [ref, kind, status, staff || '', when ? new Date(when).toLocaleTimeString() : ''].forEach(function (v) { tr.appendChild(el('td', String(v))); });
        rows.appendChild(tr);
      };
      (r.data.handoffs || []).forEach(function (h) { add(h.id, 'handoff · ' + h.channel, h.status, h.staffName, h.enqueuedAt); });
      (r.data.requests || []).forEach(function (q) { add(q.requestId, KIND[q.kind] || q.kind, q.status, q.resolvedBy, q.resolvedAt || q.createdAt); });
      (r.data.callbacks || []).forEach(function (c) { add(c.requestId, KIND.callback, c.status, c.resolvedBy, c.resolvedAt || c.createdAt); });
    });
  }

  function addEntry(entry) {
    var who = entry.from === 'staff' ? (entry.staffName || 'Staff') : entry.from === 'patient' ? 'Patient' : 'Note';
    $('transcript').appendChild(el('li', who + ': ' + entry.text, entry.from + (entry.alert ? ' alert' : '')));
  }

  function setMine(mine, staffName) {
    currentMine = mine;
    $('reply').hidden = !mine;
    if (current) $('conv-title').textContent = (mine ? 'Conversation ' : 'Watching ') + current + (mine || !staffName ? '' : ' (with ' + staffName + ')');
    if (mine) refreshStaff();
  }

  function open(id, mine, staffName) {
    current = id;
    api('GET', 'handoffs/' + id + '/transcript').then(function (r) {
      $('transcript').textContent = '';
      (r.data.transcript || []).forEach(addEntry);
      setMine(mine, staffName);
    });
  }

  /** Opens a handoff by id (a link from Teams): claim it if it waits, open it if it is mine, watch it otherwise. */
  function openHandoff(id) {
    api('GET', 'handoffs/' + id).then(function (r) {
      if (r.status !== 200) { $('alert').textContent = r.data.error || 'No such handoff.'; return; }
      open(id, r.data.status === 'claimed' && r.data.staffId === me.staffId, r.data.staffName);
    });
  }

  function refreshStaff() {
    api('GET', 'staff').then(function (r) {
      var select = $('transfer-to'); select.textContent = '';
      (r.data.staff || []).filter(function (s) { return s.staffId !== me.staffId; }).forEach(function (s) {
        var o = el('option', s.name + ' (' + s.role + ')'); o.value = s.staffId; select.appendChild(o);
      });
      $('transfer').disabled = !select.options.length;
      if (!select.options.length) select.appendChild(el('option', 'nobody else online'));
    });
  }

  function claim(id) {
    api('POST', 'handoffs/' + id + '/claim').then(function (r) {
      if (r.status === 200) { $('alert').textContent = ''; open(id, true); refreshQueue(); }
      else $('alert').textContent = r.data.error || 'Could not claim.';
    });
  }

  function finish(how, label) {
    if (!current || !currentMine) return;
    api('POST', 'handoffs/' + current + '/' + how).then(function (r) {
      if (r.status === 200) { setMine(false); $('conv-title').textContent = current + ' (' + label + ')'; }
      else $('alert').textContent = r.data.error || 'Not done.';
    });
  }

  $('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    api('POST', 'session', { username: $('username').value, password: $('password').value }).then(function (r) {
      $('password').value = '';
      if (r.status === 200) { $('signin-error').textContent = ''; started(r.data); }
      else $('signin-error').textContent = r.data.error || 'Could not sign in.';
    });
  });

  $('reply').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = $('reply-text').value.trim();
    if (!text || !current) return;
    api('POST', 'handoffs/' + current + '/messages', { text: text }).then(function (r) {
      if (r.status === 200) $('reply-text').value = '';
      else $('alert').textContent = r.data.error || 'Not sent.';
    });
  });

  $('return').addEventListener('click', function () { finish('return', 'returned to the bot'); });
  $('end').addEventListener('click', function () { finish('end', 'ended'); });
  $('transfer').addEventListener('click', function () {
    var to = $('transfer-to').value;
    if (!current || !to) return;
    api('POST', 'handoffs/' + current + '/transfer', { staffId: to }).then(function (r) {
      if (r.status === 200) { setMine(false, r.data.name); $('alert').textContent = 'Transferred to ' + r.data.name + '.'; }
      else $('alert').textContent = r.data.error || 'Not transferred.';
    });
  });

  $('invite').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = $('invite-patient').value.trim();
    if (!id) return;
    api('POST', 'invitations', { patientId: id }).then(function (r) {
      var lines = (r.data.output || []).concat(r.data.errors || []);
      if (r.data.error) lines.push(r.data.error);
      $('invite-result').textContent = (r.status === 200 ? 'Sent. ' : 'Not sent. ') + lines.join(' ');
      if (r.status === 200) $('invite-patient').value = '';
    });
  });

  $('today-refresh').addEventListener('click', refreshToday);
  $('signout').addEventListener('click', function () { api('POST', 'signout').then(showSignIn); });

  // Already signed in (a reload)? The session route answers with the CSRF token.
  api('GET', 'session').then(function (r) { if (r.status === 200) started(r.data); });
})();
