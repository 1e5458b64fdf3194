const clock = document.getElementById('clock');
clock.textContent = `Page loaded at ${new Date().toLocaleTimeString()}`;
