// The page's script: it runs in the visitor's browser, not on Lambda.
// index.js copies this file into the page's script tag.
const clock = document.getElementById('clock');
clock.textContent = `Page loaded at ${new Date().toLocaleTimeString()}`;
