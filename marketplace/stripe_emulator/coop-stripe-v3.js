/*
 * Co-op Stock's stand-in for Stripe.js v3, served by the local Stripe emulator.
 *
 * It offers the part of Stripe.js the checkout page uses, with the same names and answers:
 * Stripe(key).elements().create('card') and .mount(), stripe.createPaymentMethod({type: 'card',
 * card}) -> {paymentMethod} or {error}, and stripe.handleCardAction(clientSecret) ->
 * {paymentIntent} or {error}. localstripe's own script leaves createPaymentMethod empty.
 * The card number never reaches Co-op Stock's server: it goes to the emulator, as it would go
 * to Stripe.
 */
(function () {
  'use strict';
  const BASE = document.currentScript.src.replace(/\/js\.stripe\.com\/coop\/v3\/?$/, '');

  function field(name, label, placeholder, autocomplete, size) {
    const wrapper = document.createElement('label');
    wrapper.className = 'card-field card-field--' + name;
    const caption = document.createElement('span');
    caption.className = 'card-field__label';
    caption.textContent = label;
    const input = document.createElement('input');
    input.className = 'input';
    input.name = 'card-' + name;
    input.inputMode = 'numeric';
    input.autocomplete = autocomplete;
    input.placeholder = placeholder;
    input.size = size;
    input.setAttribute('data-card-field', name);
    wrapper.append(caption, input);
    return [wrapper, input];
  }

  class CardElement {
    constructor() {
      this.listeners = {};
      this.inputs = null;
    }
    mount(target) {
      const host = typeof target === 'string' ? document.querySelector(target) : target;
      const row = document.createElement('div');
      row.className = 'card-fields';
      const parts = [
        field('number', 'Card number', '4242 4242 4242 4242', 'cc-number', 19),
        field('expiry', 'Expiry', 'MM / YY', 'cc-exp', 7),
        field('cvc', 'CVC', '123', 'cc-csc', 4),
      ];
      this.inputs = {};
      for (const [wrapper, input] of parts) {
        row.appendChild(wrapper);
        this.inputs[input.getAttribute('data-card-field')] = input;
        input.addEventListener('input', () => this.emit('change', {complete: this.complete()}));
      }
      host.appendChild(row);
    }
    on(event, handler) {
      (this.listeners[event] = this.listeners[event] || []).push(handler);
    }
    emit(event, detail) {
      (this.listeners[event] || []).forEach((handler) => handler(detail));
    }
    card() {
      const number = this.inputs.number.value.replace(/\D/g, '');
      const expiry = this.inputs.expiry.value.replace(/[^\d/]/g, '').split('/');
      const month = (expiry[0] || '').trim();
      let year = (expiry[1] || '').trim();
      if (year.length === 2) year = '20' + year;
      return {number, exp_month: month, exp_year: year, cvc: this.inputs.cvc.value.trim()};
    }
    complete() {
      const card = this.card();
      return card.number.length === 16 && card.exp_month && card.exp_year.length === 4 &&
        card.cvc.length >= 3;
    }
  }

  async function post(path, body, json) {
    const response = await fetch(BASE + path, {
      method: 'POST',
      headers: json ? {'Content-Type': 'application/json'} :
        {'Content-Type': 'application/x-www-form-urlencoded'},
      body: json ? JSON.stringify(body) : new URLSearchParams(body).toString(),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || answer.error) {
      return {error: answer.error || {message: 'The card could not be checked.'}};
    }
    return {answer};
  }

  function askForAuthentication() {
    return new Promise((resolve) => {
      const dialog = document.createElement('dialog');
      dialog.className = 'modal';
      dialog.setAttribute('data-testid', 'three-d-secure');
      dialog.innerHTML = '<p><strong>3-D Secure</strong> (test)</p>' +
        '<p>Your bank asks you to confirm this payment.</p>' +
        '<p class="cluster"><button type="button" class="btn btn-primary" value="yes">' +
        'Complete authentication</button> <button type="button" class="btn" value="no">' +
        'Fail authentication</button></p>';
      dialog.addEventListener('click', (event) => {
        if (event.target.tagName === 'BUTTON') {
          dialog.close();
          dialog.remove();
          resolve(event.target.value === 'yes');
        }
      });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  window.Stripe = function (key) {
    return {
      elements() {
        return {create: () => new CardElement()};
      },
      async createPaymentMethod(options) {
        const card = options.card.card();
        const body = {key, type: 'card'};
        for (const name of Object.keys(card)) body['card[' + name + ']'] = card[name];
        const {answer, error} = await post('/js.stripe.com/coop/v1/payment_methods', body);
        return error ? {error} : {paymentMethod: answer};
      },
      async handleCardAction(clientSecret) {
        const intent = clientSecret.match(/^(pi_\w+)_secret_/)[1];
        const success = await askForAuthentication();
        const {answer, error} = await post(
          '/v1/payment_intents/' + intent + '/_authenticate?success=' + success,
          {key, client_secret: clientSecret}, true);
        return error ? {error} : {paymentIntent: answer};
      },
    };
  };
})();
