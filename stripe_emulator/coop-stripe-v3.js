/*
 * Co-op Stock's stand-in for Stripe.js v3, served by the local Stripe emulator.
 *
 * It offers the part of Stripe.js the checkout page uses, with the same names and answers:
 * Stripe(key).elements().create('card') and .mount(), stripe.createPaymentMethod({type: 'card',
 * card}) -> {paymentMethod} or {error}, and stripe.handleCardAction(clientSecret) ->
 * {paymentIntent} or {error}. localstripe's own script leaves createPaymentMethod empty.
 * The card number never reaches Co-op Stock's server: it goes to the emulator, as it would go
 * to Stripe.
 *
 * Like Stripe's card Element, the fields format as people type: the number in groups of four,
 * the expiry as "MM / YY" (typing 1230 gives "12 / 30", typing 4 gives "04 / "), and the
 * 'change' event carries {complete, error} where error is Stripe's message for a number that
 * fails its check digit or an expiry in the past.
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

  function digits(value, max) {
    return value.replace(/\D/g, '').slice(0, max);
  }

  function groupNumber(value) {
    return digits(value, 19).replace(/(\d{4})(?=\d)/g, '$1 ');
  }

  /* "MM / YY" from what was typed; a first digit above 1 can only be a month 0x. */
  function formatExpiry(value, deleting) {
    let d = digits(value, 4);
    if (d.length === 1 && d > '1') d = '0' + d;
    if (d.length < 2) return d;
    if (d.length === 2) return deleting ? d : d + ' / ';
    return d.slice(0, 2) + ' / ' + d.slice(2);
  }

  function luhnValid(number) {
    let total = 0;
    for (let i = 0; i < number.length; i++) {
      let digit = Number(number[number.length - 1 - i]);
      if (i % 2) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      total += digit;
    }
    return number.length > 0 && total % 10 === 0;
  }

  /* Rewrite the field; a caret inside the text stays after the same number of digits. */
  function reformat(input, format, deleting) {
    const caret = input.selectionStart === null ? input.value.length : input.selectionStart;
    const atEnd = caret >= input.value.length;
    const digitsBefore = digits(input.value.slice(0, caret), 99).length;
    const formatted = format(input.value, deleting);
    if (formatted === input.value) return;
    input.value = formatted;
    let position = formatted.length;
    if (!atEnd) {
      let seen = 0;
      position = 0;
      while (position < formatted.length && seen < digitsBefore) {
        if (/\d/.test(formatted[position])) seen++;
        position++;
      }
    }
    if (document.activeElement === input) input.setSelectionRange(position, position);
  }

  const FORMATS = {
    number: (value) => groupNumber(value),
    expiry: (value, deleting) => formatExpiry(value, deleting),
    cvc: (value) => digits(value, 4),
  };

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
        const name = input.getAttribute('data-card-field');
        input.addEventListener('input', (event) => {
          const deleting = (event.inputType || '').startsWith('delete');
          reformat(input, FORMATS[name], deleting);
          this.emit('change', {complete: this.complete(), error: this.error()});
        });
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
      const expiry = digits(this.inputs.expiry.value, 4);
      const month = expiry.slice(0, 2);
      let year = expiry.slice(2);
      if (year.length === 2) year = '20' + year;
      return {number, exp_month: month, exp_year: year, cvc: this.inputs.cvc.value.trim()};
    }
    complete() {
      const card = this.card();
      return card.number.length === 16 && card.exp_month.length === 2 &&
        card.exp_year.length === 4 && card.cvc.length >= 3 && !this.error();
    }
    /* Stripe's messages for what it refuses as soon as it is typed (undefined: nothing). */
    error() {
      const card = this.card();
      if (card.number.length === 16 && !luhnValid(card.number)) {
        return {type: 'validation_error', code: 'incorrect_number',
          message: 'Your card number is invalid.'};
      }
      if (card.exp_month.length === 2) {
        const month = Number(card.exp_month);
        if (month < 1 || month > 12) {
          return {type: 'validation_error', code: 'invalid_expiry_month',
            message: "Your card's expiration month is invalid."};
        }
        if (card.exp_year.length === 4) {
          const now = new Date();
          const year = Number(card.exp_year);
          if (year < now.getFullYear() ||
              (year === now.getFullYear() && month < now.getMonth() + 1)) {
            return {type: 'validation_error', code: 'invalid_expiry_year_past',
              message: "Your card's expiration date is in the past."};
          }
        }
      }
      return undefined;
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
        if (error) return {error};
        if (answer.status === 'requires_payment_method' && answer.last_payment_error) {
          // As Stripe.js: a failed authentication is an error, with the intent attached.
          const failed = answer.last_payment_error;
          const message = failed.code === 'payment_intent_authentication_failure' ?
            'We are unable to authenticate your payment method. Please choose a different ' +
            'payment method and try again.' : failed.message;
          return {error: Object.assign({}, failed, {message, payment_intent: answer})};
        }
        return {paymentIntent: answer};
      },
    };
  };
})();
