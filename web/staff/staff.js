// The staff console: sign in, live queue (server-sent events), claim, transcript, reply, return to bot.
'use strict';
(function () {
  var csrf = '';
  var current = null; // the handoff id open in the transcript pane
  var events = null;
  var $ = function (id) { return document.getElementById(id); };

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
  }

  function started(me) {
    csrf = me.csrfToken;
    $('me').textContent = 'Signed in as ' + me.name + ' (' + me.role + ')';
    $('signin').hidden = true; $('console').hidden = false; $('signout').hidden = false;
    refreshQueue(); refreshRequests();
    events = new EventSource('/staff/api/events');
    events.addEventListener('queued', refreshQueue);
    events.addEventListener('claimed', function (e) { refreshQueue(); var d = JSON.parse(e.data); if (d.id === current) $('alert').textContent = ''; });
    events.addEventListener('closed', function (e) {
      refreshQueue();
      var d = JSON.parse(e.data);
      if (d.id === current && d.status !== 'claimed') { $('reply').hidden = true; $('conv-title').textContent = current + ' (' + d.status + ')'; }
    });
    events.addEventListener('message', function (e) {
      var d = JSON.parse(e.data);
      if (d.id === current) addEntry(d.entry);
      if (d.entry && d.entry.alert) $('alert').textContent = 'EMERGENCY in ' + d.id + ': ' + d.entry.text;
    });
  }

  function el(tag, text, cls) { var n = document.createElement(tag); if (text) n.textContent = text; if (cls) n.className = cls; return n; }

  function refreshQueue() {
    api('GET', 'queue').then(function (r) {
      var list = $('queue'); list.textContent = '';
      (r.data.waiting || []).forEach(function (h) {
        var mins = Math.max(0, Math.round((r.data.now - h.enqueuedAt) / 60000));
        var li = el('li', '#' + h.position + ' ' + h.id + ' · ' + h.channel + ' · waiting ' + mins + ' min · ' + h.reason);
        li.dataset.id = h.id;
        var b = el('button', 'Claim'); b.type = 'button';
        b.addEventListener('click', function () { claim(h.id); });
        li.appendChild(document.createTextNode(' ')); li.appendChild(b);
        list.appendChild(li);
      });
      if (!list.children.length) list.appendChild(el('li', 'Nobody is waiting.'));
    });
  }

  function refreshRequests() {
    api('GET', 'requests').then(function (r) {
      var list = $('requests'); list.textContent = '';
      (r.data.requests || []).concat(r.data.callbacks || []).forEach(function (q) {
        list.appendChild(el('li', q.requestId + ' · ' + q.kind + ' · ' + q.createdAt.slice(0, 16).replace('T', ' ')));
      });
      if (!list.children.length) list.appendChild(el('li', 'No open requests.'));
    });
  }

  function addEntry(entry) {
    var who = entry.from === 'staff' ? (entry.staffName || 'Staff') : entry.from === 'patient' ? 'Patient' : 'Note';
    $('transcript').appendChild(el('li', who + ': ' + entry.text, entry.from + (entry.alert ? ' alert' : '')));
  }

  function open(id, mine) {
    current = id;
    api('GET', 'handoffs/' + id + '/transcript').then(function (r) {
      $('transcript').textContent = '';
      $('conv-title').textContent = 'Conversation ' + id;
      (r.data.transcript || []).forEach(addEntry);
      $('reply').hidden = !mine;
    });
  }

  function claim(id) {
    api('POST', 'handoffs/' + id + '/claim').then(function (r) {
      if (r.status === 200) { $('alert').textContent = ''; open(id, true); refreshQueue(); }
      else $('alert').textContent = r.data.error || 'Could not claim.';
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

  $('return').addEventListener('click', function () {
    if (!current) return;
    api('POST', 'handoffs/' + current + '/return').then(function (r) {
      if (r.status === 200) { $('reply').hidden = true; $('conv-title').textContent = current + ' (returned to the bot)'; }
    });
  });

  $('signout').addEventListener('click', function () { api('POST', 'signout').then(showSignIn); });

  // Already signed in (a reload)? The session route answers with the CSRF token.
  api('GET', 'session').then(function (r) { if (r.status === 200) started(r.data); });
})();
