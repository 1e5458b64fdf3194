// The page's script: it runs in the visitor's browser, not on Lambda.
// index.js copies this file into the page's script tag.

// Keep the name of the function just invoked in the form, ready for the next try.
const params = new URLSearchParams(window.location.search);
document.querySelector('input[name="function"]').value = params.get('function') || '';
