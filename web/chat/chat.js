// The chat page's script: gets a Direct Line token from this host (POST /api/webchat/token; the secret
// never reaches the browser) and renders Microsoft Web Chat with the practice's colours. Web Chat's Direct
// Line client refreshes the token before it expires. No inline script: the page's CSP forbids it.
(function () {
  'use strict';
  var settings = JSON.parse(document.getElementById('chat-settings').textContent);
  var status = document.getElementById('status');
  var container = document.getElementById('webchat');

  function fail(message) {
    status.className = 'status error';
    status.textContent = message + ' You can call ' + settings.practiceName + ' at ' + settings.practicePhone + '.';
  }

  function start() {
    if (!window.WebChat) return fail('The chat could not load.');
    fetch('/api/webchat/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 429) throw new Error('Too many chats were opened from this device. Please wait a minute and reload.');
        if (!res.ok) throw new Error('The chat is not available right now.');
        return res.json();
      })
      .then(function (t) {
        var directLine = window.WebChat.createDirectLine({ token: t.token, domain: t.domain, webSocket: t.webSocket });
        status.remove();
        window.WebChat.renderWebChat(
          {
            directLine: directLine,
            locale: 'en-US',
            nonce: settings.nonce,
            styleOptions: {
              hideUploadButton: true,
              accent: settings.brandColor,
              bubbleFromUserBackground: settings.brandColor,
              bubbleFromUserTextColor: settings.brandTextColor,
              bubbleFromUserBorderRadius: 12,
              bubbleBorderRadius: 12,
              suggestedActionBorderRadius: 8,
              suggestedActionLayout: 'flow',
              suggestedActionTextColor: '#1d2b36',
              suggestedActionBorderColor: settings.brandColor,
              sendBoxButtonColor: settings.brandColor,
              sendBoxHeight: 48,
              primaryFont: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
              botAvatarInitials: '',
              userAvatarInitials: '',
              timestampColor: '#4a6072',
              subtle: '#4a6072'
            }
          },
          container
        );
        var input = container.querySelector('input[type="text"], textarea');
        if (input) input.focus();
      })
      .catch(function (err) {
        fail(err && err.message ? err.message : 'The chat is not available right now.');
      });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
