/* Co-op Stock — the upload page (templates/assets/upload.html).
 *
 *  - the drop zone is a <button>: click, Enter or Space opens the file picker; files can also be
 *    dropped on it (or anywhere on the page)
 *  - every file gets a row cloned from <template id="upload-row-template">
 *  - files over data-max-bytes are refused here, before sending anything
 *  - each file is POSTed on its own (two at a time) to data-upload-url with XMLHttpRequest, so
 *    xhr.upload.onprogress drives a real progress bar; CSRF token from <meta name="csrf-token">
 *  - the answer is {id, title, status, failure_reason, thumbnail_url, edit_url, describe_url} (202) or
 *    {"error": {"code", "message"}}; errors are shown on that file's row and the queue goes on
 *  - rows still "processing" are polled from data-status-url?ids=1,2 every 2 s until none is left
 *  - sentences come from data-words (JSON: English -> the reader's language, written by the
 *    template through gettext); a sentence missing there shows in English
 */
(function () {
  "use strict";

  var CONCURRENCY = 2;
  var POLL_MS = 2000;
  var POLL_MAX_MS = 30000;
  var MB = 1024 * 1024;

  var STATES = {
    queued: { label: "Waiting to upload", kind: "neutral" },
    uploading: { label: "Uploading", kind: "info" },
    checking: { label: "Checking the file", kind: "info" },
    processing: { label: "Processing", kind: "info" },
    draft: { label: "Draft: describe it", kind: "neutral" },
    pending_review: { label: "Waiting for review", kind: "warning" },
    published: { label: "Published", kind: "success" },
    rejected: { label: "Rejected", kind: "danger" },
    failed: { label: "Failed", kind: "danger" },
    refused: { label: "Not uploaded", kind: "danger" }
  };

  var NOTES = {
    checking: "Uploaded. Checking that it is a photo or video we can use…",
    processing: "Uploaded. We are making the watermarked preview and reading the camera details.",
    draft: "Ready. Give it a title and keywords, then send it to the curators.",
    pending_review: "Sent to the curators, who review it before it goes on sale.",
    published: "On sale in the catalogue.",
    rejected: "A curator did not accept it. Their reason is on its page."
  };

  var WORDS = null;

  /* The sentence in the reader's language, its {placeholders} filled in. */
  function t(english, values) {
    if (WORDS === null) {
      var holder = document.querySelector("[data-uploader][data-words]");
      WORDS = (holder && parseJson(holder.getAttribute("data-words"))) || {};
    }
    var text = WORDS[english] || english;
    for (var name in values || {}) text = text.split("{" + name + "}").join(values[name]);
    return text;
  }

  /* A decimal in the page's language, without grouping (English: what toFixed gives). */
  function decimal(value, digits) {
    var lang = document.documentElement.lang || "en";
    return value.toLocaleString(lang, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      useGrouping: false
    });
  }

  function formatSize(bytes) {
    var mb = bytes / MB;
    if (mb >= 1024) return t("{size} GB", { size: decimal(mb / 1024, 2) });
    if (mb >= 100) return t("{size} MB", { size: decimal(mb, 0) });
    if (mb >= 1) return t("{size} MB", { size: decimal(mb, 1) });
    return t("{size} MB", { size: decimal(mb, 2) });
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return null;
    }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* The server answers JSON from the view itself; anything else (an expired CSRF token, a
     request too large for the server, being signed out) comes back as an HTML page. */
  function explainFailure(xhr) {
    var data = parseJson(xhr.responseText || "");
    if (data && data.error && data.error.message) return data.error.message;
    var status = xhr.status;
    if (status === 0) return t("The connection was lost before the upload finished.");
    if (status === 401 || status === 403 || /\/login/.test(xhr.responseURL || "")) {
      return t("You are no longer signed in. Sign in again in another tab, then add this file again.");
    }
    if (status === 400) return t("This page has expired. Reload it and add the file again.");
    if (status === 413) return t("This file is larger than the server accepts.");
    if (status === 429) return t("Too many uploads at once. Wait a minute and try again.");
    if (status >= 500) return t("Something went wrong on our side. Try this file again in a few minutes.");
    return t("The upload did not work (error {status}). Try again.", { status: status });
  }

  function Uploader(root) {
    this.root = root;
    this.uploadUrl = root.getAttribute("data-upload-url");
    this.statusUrl = root.getAttribute("data-status-url");
    this.maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10) || Infinity;
    this.maxLabel = root.getAttribute("data-max-label") || formatSize(this.maxBytes);
    this.dropzone = root.querySelector("[data-dropzone]");
    this.input = root.querySelector("[data-file-input]");
    this.section = root.querySelector("[data-uploads]");
    this.list = root.querySelector("[data-upload-list]");
    this.summary = root.querySelector("[data-summary]");
    this.template = document.getElementById("upload-row-template");
    this.rows = [];
    this.active = 0;
    this.pollTimer = null;
    this.pollFailures = 0;
    this.polling = false;
    this.bind();
  }

  Uploader.prototype.bind = function () {
    var self = this;
    this.root.classList.add("is-ready");

    this.dropzone.addEventListener("click", function () {
      self.input.click();
    });
    this.input.addEventListener("change", function () {
      self.add(self.input.files);
      // Let the same file be chosen again (e.g. after fixing a refused one).
      self.input.value = "";
    });

    // Files dragged anywhere over the page: light up the drop zone, and accept the drop.
    var depth = 0;
    function hasFiles(event) {
      var types = event.dataTransfer && event.dataTransfer.types;
      if (!types) return false;
      for (var i = 0; i < types.length; i++) if (types[i] === "Files") return true;
      return false;
    }
    document.addEventListener("dragenter", function (event) {
      if (!hasFiles(event)) return;
      depth++;
      self.dropzone.classList.add("is-dragging");
    });
    document.addEventListener("dragleave", function (event) {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) self.dropzone.classList.remove("is-dragging", "is-over");
    });
    document.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      var over = self.dropzone.contains(event.target);
      self.dropzone.classList.toggle("is-over", over);
      event.dataTransfer.dropEffect = "copy";
    });
    document.addEventListener("drop", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault(); // never let the browser navigate to a dropped file
      depth = 0;
      self.dropzone.classList.remove("is-dragging", "is-over");
      self.add(event.dataTransfer.files);
    });

    window.addEventListener("beforeunload", function (event) {
      if (self.busy()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  };

  Uploader.prototype.busy = function () {
    return this.rows.some(function (row) {
      return row.state === "queued" || row.state === "uploading" || row.state === "checking";
    });
  };

  Uploader.prototype.add = function (fileList) {
    if (!fileList || !fileList.length) return;
    this.section.hidden = false;
    for (var i = 0; i < fileList.length; i++) {
      var row = this.makeRow(fileList[i]);
      this.rows.push(row);
      if (row.file.size > this.maxBytes) {
        this.refuse(row, t("This file is {size}, more than the {limit} we accept per file.", { size: formatSize(row.file.size), limit: this.maxLabel }), false);
      } else if (row.file.size === 0) {
        this.refuse(row, t("This file is empty, or it is a folder. Choose the photo or video files themselves."), false);
      } else {
        this.setState(row, "queued");
      }
    }
    this.updateSummary();
    this.pump();
  };

  Uploader.prototype.makeRow = function (file) {
    var el = this.template.content.firstElementChild.cloneNode(true);
    var row = {
      file: file,
      el: el,
      state: null,
      id: null,
      name: el.querySelector("[data-name]"),
      status: el.querySelector("[data-status]"),
      progressWrap: el.querySelector("[data-progress-wrap]"),
      progress: el.querySelector("[data-progress]"),
      figures: el.querySelector("[data-figures]"),
      note: el.querySelector("[data-note]"),
      error: el.querySelector("[data-error]"),
      actions: el.querySelector("[data-actions]"),
      editLink: el.querySelector("[data-edit-link]"),
      thumb: el.querySelector("[data-thumb]"),
      thumbUrl: null
    };
    row.name.textContent = file.name;
    row.name.title = file.name;
    row.progress.setAttribute("aria-label", t("Upload of {name}", { name: file.name }));
    row.figures.textContent = t("{sent} of {size}", { sent: "0", size: formatSize(file.size) });
    this.list.appendChild(el);
    return row;
  };

  Uploader.prototype.setState = function (row, state) {
    var info = STATES[state] || { label: state, kind: "neutral" };
    row.state = state;
    row.el.setAttribute("data-state", state);
    row.status.textContent = t(info.label);
    row.status.className = "badge badge--" + info.kind + " upload-row__status";
    var note = NOTES[state];
    row.note.textContent = note ? t(note) : "";
    row.note.hidden = !note;
  };

  Uploader.prototype.refuse = function (row, message, canRetry) {
    this.setState(row, "refused");
    this.showError(row, message);
    row.progressWrap.hidden = true;
    if (canRetry) {
      var self = this;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn-link upload-row__retry";
      button.textContent = t("Try again");
      button.setAttribute("aria-label", t("Try uploading {name} again", { name: row.file.name }));
      button.addEventListener("click", function () {
        button.remove();
        row.error.hidden = true;
        row.progressWrap.hidden = false;
        row.progress.value = 0;
        self.setState(row, "queued");
        self.updateSummary();
        self.pump();
      });
      row.error.appendChild(document.createTextNode(" "));
      row.error.appendChild(button);
    }
  };

  Uploader.prototype.showError = function (row, message) {
    row.error.textContent = message;
    row.error.hidden = false;
  };

  /* Start queued files while fewer than CONCURRENCY are on their way. */
  Uploader.prototype.pump = function () {
    for (var i = 0; i < this.rows.length && this.active < CONCURRENCY; i++) {
      if (this.rows[i].state === "queued") this.send(this.rows[i]);
    }
  };

  Uploader.prototype.send = function (row) {
    var self = this;
    var xhr = new XMLHttpRequest();
    var finished = false;
    this.active++;
    this.setState(row, "uploading");
    this.updateSummary();

    function done() {
      if (finished) return;
      finished = true;
      self.active--;
      self.updateSummary();
      self.pump();
    }

    xhr.open("POST", this.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");

    xhr.upload.addEventListener("progress", function (event) {
      var fraction = event.lengthComputable && event.total ? event.loaded / event.total : 0;
      self.showProgress(row, fraction);
    });
    xhr.upload.addEventListener("load", function () {
      self.showProgress(row, 1);
      if (row.state === "uploading") self.setState(row, "checking");
    });

    xhr.addEventListener("load", function () {
      var data = parseJson(xhr.responseText || "");
      if (xhr.status === 202 && data && data.id) {
        self.showProgress(row, 1);
        row.figures.textContent = t("{size} uploaded", { size: formatSize(row.file.size) });
        self.applyStatus(row, data);
        self.schedulePoll(POLL_MS);
      } else {
        var transient = xhr.status === 0 || xhr.status === 429 || xhr.status >= 500;
        self.refuse(row, explainFailure(xhr), transient);
      }
      done();
    });
    xhr.addEventListener("error", function () {
      self.refuse(row, t("The connection was lost before the upload finished. Check your connection."), true);
      done();
    });
    xhr.addEventListener("abort", function () {
      self.refuse(row, t("The upload was stopped."), true);
      done();
    });

    var form = new FormData();
    form.append("file", row.file, row.file.name);
    xhr.send(form);
  };

  Uploader.prototype.showProgress = function (row, fraction) {
    var size = row.file.size;
    var sent = Math.min(size, Math.round(size * fraction));
    var percent = Math.floor(fraction * 100);
    row.progress.value = percent;
    var figures = t("{sent} of {size}", { sent: formatSize(sent), size: formatSize(size) });
    row.progress.setAttribute("aria-valuetext", percent + "%, " + figures);
    row.figures.textContent = figures + " · " + percent + "%";
  };

  /* A status from the server: {id, title, status, failure_reason, thumbnail_url, edit_url, describe_url}. */
  Uploader.prototype.applyStatus = function (row, data) {
    row.id = data.id;
    this.setState(row, data.status);
    if (data.status !== "processing") row.progressWrap.hidden = true;

    if (data.thumbnail_url && data.thumbnail_url !== row.thumbUrl) {
      row.thumbUrl = data.thumbnail_url;
      var img = document.createElement("img");
      img.className = "upload-row__img";
      img.alt = "";
      img.decoding = "async";
      img.addEventListener("load", function () {
        row.thumb.textContent = "";
        row.thumb.appendChild(img);
        row.thumb.classList.add("has-image");
      });
      img.src = data.thumbnail_url;
    }

    var link = data.status === "draft" ? data.describe_url : data.edit_url;
    if (link) {
      row.editLink.href = link;
      row.editLink.textContent = data.status === "draft" ? t("Describe it and send it for review") : t("See its details");
      row.editLink.setAttribute("aria-label", row.editLink.textContent + ": " + (data.title || row.file.name));
      row.actions.hidden = false;
    }

    if (data.status === "failed") {
      this.showError(row, data.failure_reason || t("We could not process this file."));
    } else {
      row.error.hidden = true;
    }
    this.updateSummary();
  };

  Uploader.prototype.processingIds = function () {
    var ids = [];
    this.rows.forEach(function (row) {
      if (row.id && row.state === "processing") ids.push(row.id);
    });
    return ids;
  };

  Uploader.prototype.schedulePoll = function (delay) {
    if (this.pollTimer || this.polling || !this.processingIds().length) return;
    var self = this;
    this.pollTimer = window.setTimeout(function () {
      self.pollTimer = null;
      self.poll();
    }, delay);
  };

  Uploader.prototype.poll = function () {
    var ids = this.processingIds();
    if (!ids.length) return;
    var self = this;
    var xhr = new XMLHttpRequest();
    this.polling = true;
    xhr.open("GET", this.statusUrl + "?ids=" + ids.join(","));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.addEventListener("loadend", function () {
      self.polling = false;
      var data = xhr.status === 200 ? parseJson(xhr.responseText || "") : null;
      if (data && data.results) {
        self.pollFailures = 0;
        data.results.forEach(function (result) {
          for (var i = 0; i < self.rows.length; i++) {
            if (self.rows[i].id === result.id) self.applyStatus(self.rows[i], result);
          }
        });
        self.schedulePoll(POLL_MS);
      } else {
        // Back off while the server is unreachable; the rows keep their last known status.
        self.pollFailures++;
        self.schedulePoll(Math.min(POLL_MS * Math.pow(2, self.pollFailures), POLL_MAX_MS));
      }
    });
    xhr.send();
  };

  Uploader.prototype.updateSummary = function () {
    var counts = { waiting: 0, sending: 0, uploaded: 0, refused: 0, failed: 0 };
    this.rows.forEach(function (row) {
      if (row.state === "queued") counts.waiting++;
      else if (row.state === "uploading" || row.state === "checking") counts.sending++;
      else if (row.state === "refused") counts.refused++;
      else if (row.state === "failed") counts.failed++;
      else counts.uploaded++;
    });
    var total = this.rows.length;
    var parts = [t("{count} of {total} uploaded", { count: counts.uploaded, total: total })];
    if (counts.sending) parts.push(t("{count} uploading", { count: counts.sending }));
    if (counts.waiting) parts.push(t("{count} waiting", { count: counts.waiting }));
    if (counts.refused) parts.push(t("{count} not uploaded", { count: counts.refused }));
    if (counts.failed) parts.push(t("{count} could not be processed", { count: counts.failed }));
    var text = parts.join(" · ");
    if (this.summary.textContent !== text) this.summary.textContent = text;
  };

  function init() {
    var roots = document.querySelectorAll("[data-uploader]");
    for (var i = 0; i < roots.length; i++) new Uploader(roots[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
