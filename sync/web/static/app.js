// transync: a little help for the task editor; every page works without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-use]");
  if (!button) return;
  const field = document.getElementById(button.dataset.use);
  if (field) {
    field.value = button.dataset.text;
    field.focus();
  }
});
