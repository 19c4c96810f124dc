/*! evflow embed: turns <div data-evflow-scenario="NAME"></div> into a responsive player.
 *
 *   <script src="https://your.host/evflow/embed.js" defer></script>
 *   <div data-evflow-scenario="seed-topology"></div>
 *
 * Options (data attributes on the div): data-evflow-seed, data-evflow-view (flow|lag|table),
 * data-evflow-autoplay (1|0), data-evflow-speed, data-evflow-height (initial px),
 * data-evflow-fragment (a shared scenario: the "s=..." part of a share link),
 * data-evflow-title (the iframe's accessible title).
 * The iframe takes the column's width (it works in a 700 px column) and follows the app's
 * height, which the app reports with postMessage. */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL('.', script.src).href : new URL('.', location.href).href;
  var frames = [];
  var count = 0;

  function mount(el) {
    if (el.getAttribute('data-evflow-mounted')) return;
    el.setAttribute('data-evflow-mounted', '1');
    var params = new URLSearchParams();
    var scenario = el.getAttribute('data-evflow-scenario');
    if (scenario) params.set('scenario', scenario);
    params.set('mode', 'player');
    ['seed', 'view', 'autoplay', 'speed'].forEach(function (key) {
      var value = el.getAttribute('data-evflow-' + key);
      if (value) params.set(key, value);
    });
    var src = base + 'index.html?' + params.toString();
    var fragment = el.getAttribute('data-evflow-fragment');
    if (fragment) src += '#' + fragment.replace(/^#/, '');
    var iframe = document.createElement('iframe');
    iframe.name = 'evflow-' + (count++);
    iframe.src = src;
    iframe.title = el.getAttribute('data-evflow-title') || 'evflow simulation' + (scenario ? ': ' + scenario : '');
    iframe.setAttribute('allow', 'clipboard-write');
    iframe.style.cssText = 'display:block;width:100%;max-width:100%;border:1px solid #d1d9e0;' +
      'border-radius:10px;background:#f6f8fa;height:' + (parseInt(el.getAttribute('data-evflow-height'), 10) || 620) + 'px';
    el.appendChild(iframe);
    frames.push(iframe);
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (!data || data.type !== 'evflow:height' || !(data.height > 0)) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.ceil(data.height + 2) + 'px';
      }
    }
  });

  function scan(root) {
    var nodes = (root || document).querySelectorAll('[data-evflow-scenario],[data-evflow-fragment]');
    for (var i = 0; i < nodes.length; i++) mount(nodes[i]);
  }

  window.evflowEmbed = { scan: scan, base: base };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { scan(); });
  else scan();
})();
