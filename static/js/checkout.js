/* Co-op Stock — paying for an order (templates/orders/pay.html) and waiting for the bank
 * (templates/orders/detail.html).
 *
 * The checkout form (form[data-checkout]) carries everything in data-* attributes:
 *   data-publishable-key  Stripe's publishable key
 *   data-start-url        POST {payment_method} -> {status, payment_intent_id, client_secret, error}
 *   data-confirm-url      POST after 3-D Secure -> the same shape
 *   data-status-url       GET -> {status, payment_error}
 *   data-detail-url       the order page, opened once the order is paid
 *
 *  1. Stripe.js mounts its card fields in #card-element;
 *  2. on submit the card becomes a PaymentMethod (the number goes to Stripe, never to us);
 *  3. its id is POSTed to the start URL (JSON, CSRF header from <meta name="csrf-token">);
 *  4. "requires_action": Stripe.js asks the bank (3-D Secure), then the confirm URL is POSTed;
 *     "failed": the reason is shown and the buyer can try again;
 *     "processing": the status URL is polled every second (up to a minute) until the order is
 *     paid, then the order page opens.
 *  Errors come back as {"error": {"code", "message"}} (X-Requested-With makes sure of that).
 *
 * On the order page, [data-order-poll] (with data-status-url) reloads the page once Stripe's
 * confirmation has changed the order. On the admin order page, form[data-requires-selection]
 * is not sent without a ticked box.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var POLL_MAX_MS = 60000;
  var ORDER_POLL_MS = 3000;
  var ORDER_POLL_MAX_MS = 5 * 60000;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  var WORDS = null;

  /* The sentence in the reader's language (the page's [data-checkout-words], JSON: English ->
     translation, written by templates/orders/_checkout_words.html), {placeholders} filled in;
     a sentence missing there shows in English. */
  function t(english, values) {
    if (WORDS === null) {
      var holder = document.querySelector("[data-checkout-words]");
      try {
        WORDS = holder ? JSON.parse(holder.getAttribute("data-checkout-words")) : {};
      } catch (error) {
        WORDS = {};
      }
    }
    var text = WORDS[english] || english;
    for (var name in values || {}) text = text.split("{" + name + "}").join(values[name]);
    return text;
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, ms);
    });
  }

  /* Our server's error messages, or a plain explanation when the answer is not ours. */
  function failureMessage(response, data) {
    if (data && data.error && data.error.message) return data.error.message;
    var status = response.status;
    if (status === 401 || status === 403) {
      return t("You are no longer signed in. Sign in again in another tab, then try again.");
    }
    if (status === 400) return t("This page has expired. Reload it and try again.");
    if (status === 429) return t("Too many attempts. Wait a minute and try again.");
    if (status >= 500) return t("Something went wrong on our side. Please try again in a moment: you will not be charged twice.");
    return t("The payment could not be started (error {status}). Please try again.", { status: status });
  }

  async function requestJson(url, options) {
    var init = {
      method: options && options.method ? options.method : "GET",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-Requested-With": "XMLHttpRequest"
      }
    };
    if (init.method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.body = JSON.stringify((options && options.body) || {});
    }
    var response;
    try {
      response = await fetch(url, init);
    } catch (networkError) {
      throw new Error(t("The connection was lost. Check it and try again: you will not be charged twice."));
    }
    var data = null;
    try {
      data = await response.json();
    } catch (parseError) {
      data = null;
    }
    if (!response.ok || data === null) throw new Error(failureMessage(response, data));
    return data;
  }

  /* ---- The checkout form ---- */
  function Checkout(form) {
    this.form = form;
    this.startUrl = form.getAttribute("data-start-url");
    this.confirmUrl = form.getAttribute("data-confirm-url");
    this.statusUrl = form.getAttribute("data-status-url");
    this.detailUrl = form.getAttribute("data-detail-url");
    this.button = form.querySelector("[data-pay-button]");
    this.errorBox = document.getElementById("checkout-error");
    this.statusBox = document.getElementById("checkout-status");
    this.busy = false;
    this.stripe = null;
    this.card = null;
  }

  Checkout.prototype.showError = function (message) {
    this.errorBox.textContent = "";
    if (!message) return;
    var p = document.createElement("p");
    p.className = "form-errors";
    p.textContent = message;
    this.errorBox.appendChild(p);
  };

  Checkout.prototype.showStatus = function (message, link) {
    this.statusBox.textContent = message || "";
    if (link) {
      this.statusBox.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.label;
      this.statusBox.appendChild(a);
    }
  };

  Checkout.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.button.disabled = busy;
    if (busy) this.form.setAttribute("aria-busy", "true");
    else this.form.removeAttribute("aria-busy");
  };

  /* Back to a state where the buyer can correct the card and try again. */
  Checkout.prototype.fail = function (message) {
    this.showStatus("");
    this.showError(message || t("The payment did not go through. Please try again."));
    this.setBusy(false);
  };

  Checkout.prototype.start = function () {
    var self = this;
    var loading = this.form.querySelector("[data-card-loading]");
    if (typeof window.Stripe !== "function") {
      if (loading) loading.remove();
      this.showError(t("The secure card form could not load. Check your connection (or an ad blocker), then reload this page."));
      return;
    }
    try {
      this.stripe = window.Stripe(this.form.getAttribute("data-publishable-key"));
      // Stripe's own card messages in the page's language too.
      var locale = document.documentElement.lang || "auto";
      this.card = this.stripe.elements({ locale: locale }).create("card");
      if (loading) loading.remove();
      this.card.mount("#card-element");
    } catch (error) {
      this.showError(t("The secure card form could not load. Reload this page to try again."));
      return;
    }
    this.card.on("change", function (event) {
      if (self.busy) return;
      self.showError(event && event.error ? event.error.message : "");
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!self.busy) self.pay();
    });
    this.button.disabled = false;
  };

  Checkout.prototype.pay = async function () {
    this.setBusy(true);
    this.showError("");
    this.showStatus(t("Checking your card…"));
    try {
      var made = await this.stripe.createPaymentMethod({ type: "card", card: this.card });
      if (made.error) {
        this.fail(made.error.message);
        return;
      }
      var answer = await requestJson(this.startUrl, {
        method: "POST",
        body: { payment_method: made.paymentMethod.id }
      });
      await this.handle(answer, 0);
    } catch (error) {
      this.fail(error && error.message);
    }
  };

  Checkout.prototype.handle = async function (answer, actions) {
    if (answer.status === "failed") {
      this.fail(answer.error);
      return;
    }
    if (answer.status === "requires_action") {
      if (actions >= 2) {
        this.fail(t("Your bank asked for confirmation again. Please try again, or use another card."));
        return;
      }
      this.showStatus(t("Your bank asks you to confirm this payment…"));
      var result = await this.stripe.handleCardAction(answer.client_secret);
      if (result.error) {
        this.fail(result.error.message);
        return;
      }
      this.showStatus(t("Confirmed by your bank. Finishing the payment…"));
      var confirmed = await requestJson(this.confirmUrl, { method: "POST", body: {} });
      await this.handle(confirmed, actions + 1);
      return;
    }
    // "processing" (and anything newer): the money is on its way; wait for Stripe's word.
    this.showStatus(t("Payment received, waiting for the bank’s confirmation…"));
    await this.waitUntilPaid();
  };

  Checkout.prototype.waitUntilPaid = async function () {
    var deadline = Date.now() + POLL_MAX_MS;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      var order;
      try {
        order = await requestJson(this.statusUrl);
      } catch (error) {
        continue; // a blip: keep asking until the deadline
      }
      if (order.status === "paid") {
        this.showStatus(t("Paid. Opening your order…"));
        window.location.assign(this.detailUrl);
        return;
      }
      if (order.status !== "pending_payment") {
        window.location.assign(this.detailUrl);
        return;
      }
      if (order.payment_error) {
        this.fail(order.payment_error);
        return;
      }
    }
    this.showStatus(t("Your bank has not confirmed the payment yet. There is no need to pay again: the order page updates as soon as it does."), {
      href: this.detailUrl,
      label: t("Open the order page")
    });
  };

  /* ---- The order page, while Stripe's confirmation is awaited ---- */
  async function pollOrder(element) {
    var url = element.getAttribute("data-status-url");
    var deadline = Date.now() + ORDER_POLL_MAX_MS;
    while (Date.now() < deadline) {
      await sleep(ORDER_POLL_MS);
      var order;
      try {
        order = await requestJson(url);
      } catch (error) {
        continue;
      }
      if (order.status !== "pending_payment" || order.payment_error) {
        window.location.reload();
        return;
      }
    }
    element.textContent = t("Still waiting for Stripe’s confirmation. Reload this page in a few minutes to see the order’s state.");
  }

  /* ---- Admin refunds: "Refund selected items" with nothing ticked ----
     The server reads "no items" as "everything left", which the form's own button must never
     mean: form[data-requires-selection="items"] refuses to submit until a box is ticked (asked
     in the capture phase, before app.js's confirm prompt). */
  function guardSelection(form) {
    var name = form.getAttribute("data-requires-selection");
    var message = form.querySelector("[data-selection-error]");
    document.addEventListener("submit", function (event) {
      if (event.target !== form) return;
      if (form.querySelector('input[name="' + name + '"]:checked')) {
        if (message) message.textContent = "";
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      if (message) message.textContent = t("Tick the items to refund first.");
    }, true);
  }

  function init() {
    var guarded = document.querySelectorAll("form[data-requires-selection]");
    for (var j = 0; j < guarded.length; j++) guardSelection(guarded[j]);
    var form = document.querySelector("form[data-checkout]");
    if (form) new Checkout(form).start();
    var waiting = document.querySelectorAll("[data-order-poll]");
    for (var i = 0; i < waiting.length; i++) pollOrder(waiting[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
