// The event form's attendance grid: keep each row's, each gender's and the grand total up
// to date as numbers are typed (the server counts again on saving).
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector(".attendance-grid");
  if (!grid) return;
  const number = (input) => {
    const value = Number.parseInt(input.value, 10);
    return Number.isInteger(value) && value >= 0 ? value : 0;
  };
  const recount = () => {
    const byGender = [];
    let all = 0;
    grid.querySelectorAll("tbody tr").forEach((row) => {
      let rowTotal = 0;
      row.querySelectorAll("input.count").forEach((input, index) => {
        const count = number(input);
        rowTotal += count;
        byGender[index] = (byGender[index] || 0) + count;
      });
      row.querySelector(".row-total").textContent = rowTotal;
      all += rowTotal;
    });
    grid.querySelectorAll(".gender-total").forEach((cell, index) => {
      cell.textContent = byGender[index] || 0;
    });
    grid.querySelector(".grand-total").textContent = all;
  };
  grid.addEventListener("input", recount);
});
