// Embeddable chat button for the practice's own website. Add one line to any page:
//   <script src="https://YOUR-BOT-HOST/chat/embed.js" async></script>
// It adds a floating "Chat with us" button that opens the chat (/chat on the bot host) in a panel.
// The site's origin must be listed in WEBCHAT_ALLOWED_ORIGINS (frame-ancestors and token origin check).
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || document.getElementById('portal-help-chat-button')) return;
  var base = new URL(script.src).origin;
  var label = script.getAttribute('data-label') || 'Chat with us';
  var colour = script.getAttribute('data-color') || '#0b5cab';

  var button = document.createElement('button');
  button.id = 'portal-help-chat-button';
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'portal-help-chat-panel');
  var b = button.style;
  b.position = 'fixed'; b.right = '16px'; b.bottom = '16px'; b.zIndex = '2147483000';
  b.padding = '12px 18px'; b.border = '0'; b.borderRadius = '24px'; b.font = '600 16px system-ui, sans-serif';
  b.background = colour; b.color = '#fff'; b.cursor = 'pointer'; b.boxShadow = '0 2px 10px rgba(0,0,0,.25)';

  var panel = document.createElement('div');
  panel.id = 'portal-help-chat-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'Patient portal help chat');
  panel.hidden = true;
  var p = panel.style;
  p.position = 'fixed'; p.right = '16px'; p.bottom = '72px'; p.zIndex = '2147483000';
  p.width = 'min(400px, calc(100vw - 32px))'; p.height = 'min(600px, calc(100vh - 96px))';
  p.boxShadow = '0 4px 24px rgba(0,0,0,.3)'; p.borderRadius = '12px'; p.overflow = 'hidden'; p.background = '#fff';

  var frame;
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.src = base + '/chat';
      frame.title = 'Patient portal help chat';
      frame.setAttribute('referrerpolicy', 'no-referrer');
      frame.style.width = '100%'; frame.style.height = '100%'; frame.style.border = '0';
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    button.textContent = 'Close chat';
    frame.focus();
  }
  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.textContent = label;
    button.focus();
  }
  button.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && !panel.hidden) close(); });
  document.body.appendChild(panel);
  document.body.appendChild(button);
})();
