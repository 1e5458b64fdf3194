const base = window.location.pathname.replace(/\/$/, '');

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

for (const button of document.querySelectorAll('button[data-id]')) {
  button.addEventListener('click', async () => {
    await fetch(`${base}/${encodeURIComponent(button.dataset.id)}`, { method: 'DELETE' });
    window.location.reload();
  });
}
