// Plays one recording with rrweb-player: asks the page's snapshots URL for its sources, then for all of
// their events at once (JSON lines of [window_id, event]), and starts the player in the page's holder.
(function () {
  "use strict";
  var holder = document.querySelector("[data-replay-snapshots]");
  if (!holder) {
    return;
  }
  var base = holder.getAttribute("data-replay-snapshots");
  var status = document.querySelector("[data-replay-status]");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function fetched(response) {
    if (!response.ok) {
      throw new Error(response.status === 404 ? "This recording no longer exists." : "Burrow answered " + response.status + ".");
    }
    return response;
  }

  function join(url, query) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + query;
  }

  function play(text) {
    var events = [];
    text.split("\n").forEach(function (line) {
      if (line) {
        events.push(JSON.parse(line)[1]);
      }
    });
    events.sort(function (a, b) {
      return a.timestamp - b.timestamp;
    });
    if (events.length < 2) {
      say("This recording has no data yet.");
      return;
    }
    var width = Math.max(Math.min(holder.clientWidth || 960, 1280), 280);
    say("");
    // The UMD build's global is the module: its player class is `Player`.
    holder.rrwebPlayer = new rrwebPlayer.Player({
      target: holder,
      props: { events: events, width: width, height: Math.round(width * 0.56), autoPlay: true, showController: true },
    });
    holder.setAttribute("data-replay-state", "playing");
  }

  say("Loading the recording…");
  fetch(base, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(fetched)
    .then(function (response) {
      return response.json();
    })
    .then(function (answer) {
      var count = answer.sources.length;
      if (!count) {
        say("This recording has no data yet.");
        holder.setAttribute("data-replay-state", "empty");
        return null;
      }
      var range = "source=blob_v2&start_blob_key=0&end_blob_key=" + (count - 1);
      return fetch(join(base, range), { credentials: "same-origin" })
        .then(fetched)
        .then(function (response) {
          return response.text();
        })
        .then(play);
    })
    .catch(function (error) {
      say(error.message || "The recording could not be loaded.");
      holder.setAttribute("data-replay-state", "failed");
    });
})();
