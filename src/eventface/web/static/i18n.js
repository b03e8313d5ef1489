// Thai and English in the pages' scripts: counted phrases, dates in the page's calendar, and error
// texts chosen by the API's error code. Loaded by base.html on every page, before the page's script.
// The server gives the language and the error texts (web/error_texts.py) in #i18n-data.
"use strict";

const I18N = (() => {
  const dataNode = document.getElementById("i18n-data");
  const data = dataNode ? JSON.parse(dataNode.textContent) : {};
  const lang = data.lang || document.documentElement.lang || "en";
  // Thai readers count years in the Buddhist era (2569 = 2026); English pages are day-first
  // Gregorian, as web/i18n.py format_date writes them on the server.
  const locale = lang === "th" ? "th-TH-u-ca-buddhist" : "en-GB";
  const plurals = new Intl.PluralRules(lang);
  const numbers = new Intl.NumberFormat(locale);
  const FORMATS = {
    long: { day: "numeric", month: "long", year: "numeric" },
    medium: { day: "numeric", month: "short", year: "numeric" },
    short: lang === "th" ? { day: "numeric", month: "short", year: "2-digit" } : { day: "numeric", month: "short", year: "numeric" },
    time: { dateStyle: "medium", timeStyle: "short" },
  };

  // forms: what the server gave for a counted phrase ({one, other} in English, {other} in Thai);
  // "{n}" becomes the number, other {names} their values.
  function count(forms, n, values = {}) {
    if (typeof forms === "string") forms = { other: forms };
    const text = forms[plurals.select(n)] || forms.other;
    return text.replace(/\{(\w+)\}/g, (match, name) => {
      if (name === "n") return numbers.format(n);
      return name in values ? String(values[name]) : match;
    });
  }

  // a Date, an ISO string or a timestamp, in the reader's time zone; style: long, medium, short or time
  function date(when, style = "long") {
    const moment = when instanceof Date ? when : new Date(when);
    if (Number.isNaN(moment.getTime())) return "";
    return new Intl.DateTimeFormat(locale, FORMATS[style] || FORMATS.long).format(moment);
  }

  // what to show for an API error: the text for its code in the page's language; the server's
  // English detail only on an English page, when the code has no text or is a broad one
  // ("invalid_input": the detail says what to fix), as web/error_texts.py error_text does
  function errorText(code, detail) {
    const texts = data.errors || {};
    const english = lang === "en" && typeof detail === "string" && detail;
    if (english && (!texts[code] || (data.specific || []).includes(code))) return detail;
    return texts[code] || texts.error || "Something went wrong. Please try again.";
  }

  // <time class="local-time" datetime="..."> written in UTC by the server, shown in the reader's zone
  function showLocalTimes(root = document) {
    for (const el of root.querySelectorAll("time.local-time[datetime]")) {
      const text = date(el.getAttribute("datetime"), "time");
      if (!text) continue;
      if (!el.title) el.title = el.textContent.trim();
      el.textContent = text;
    }
  }

  return { lang, count, date, errorText, showLocalTimes };
})();

document.addEventListener("DOMContentLoaded", () => I18N.showLocalTimes());
