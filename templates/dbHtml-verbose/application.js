// The page's script: it runs in the visitor's browser, not on Lambda.
// index.js copies this file into the page's script tag.
// It calls the same function that served the page, with other methods: deploy them too
// (bam deploy {{name}} --permitDb --methods GET,POST,DELETE).

// The page's own address (…/bam on AWS, / under bam dev), without a trailing slash.
const base = window.location.pathname.replace(/\/$/, '');

// Add: POST the JSON from the form, then reload the page to see the list with the new item.
document.getElementById('add').addEventListener('submit', async (event) => {
  event.preventDefault();
  const response = await fetch(base || '/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: document.getElementById('item').value,
  });
  if (response.ok) window.location.reload();
  else document.getElementById('error').textContent = (await response.json()).message;
});

// Delete: each item's button holds its key; DELETE …/bam/ID removes it.
for (const button of document.querySelectorAll('button[data-id]')) {
  button.addEventListener('click', async () => {
    await fetch(`${base}/${encodeURIComponent(button.dataset.id)}`, { method: 'DELETE' });
    window.location.reload();
  });
}
