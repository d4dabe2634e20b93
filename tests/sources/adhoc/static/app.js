// The article text of /news/shell, built by script after the page loads (a client-rendered site).
window.addEventListener("load", function () {
  setTimeout(function () {
    document.getElementById("app").innerHTML =
      "<article><h1>Validators vote on a fee cut</h1>" +
      "<p>Validators of the Loopback chain voted on Thursday to cut base transaction fees by forty percent, " +
      "the largest change to the fee schedule since the network launched two years ago.</p>" +
      "<p>The proposal passed with seventy-one percent of staked tokens in favour, after a two-week debate " +
      "in which several large staking pools argued that lower fees would weaken the security budget.</p>" +
      "<p>The new schedule takes effect at the next epoch boundary, and developers said they would publish " +
      "a report on fee revenue and block space usage one month after the change.</p></article>";
  }, 300);
});
