const params = new URLSearchParams(window.location.search);
document.querySelector('input[name="function"]').value = params.get('function') || '';
