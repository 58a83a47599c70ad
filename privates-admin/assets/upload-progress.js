// privates-admin: progress of long uploads on the admin's multipart forms.
//
// Progressive enhancement only: without this script (or without XMLHttpRequest) a form is a
// plain form post, as before. With it, a form with a chosen file is sent by XMLHttpRequest
// (fetch reports no upload progress) as the very same request: the form's own multipart body
// (its CSRF token first, as the template puts it) to the form's own action. A progress bar
// follows each chosen file and one the whole form, with a Cancel button that aborts the
// request (the server removes what it received of an unfinished body). When the answer comes,
// a redirect is followed (the browser navigates to where it led), any other page replaces
// this one (the form again with its errors). An external file, no inline script: it works
// under a Content-Security-Policy with `script-src 'self'`.
//
// Direct uploads (a file input with `data-direct-upload`, the model's issuing route): the
// script first asks that route for a presigned URL and a ticket (JSON, the form's CSRF token
// in X-CSRFToken), PUTs the file straight to the bucket with its bar following, puts the
// ticket in a hidden `{name}-direct` input and leaves the file's bytes out of the form. When
// the route answers 404 or 409 (direct uploads off, or a local storage), or the bucket cannot
// be reached from the page (no CORS rule for this origin), the file goes with the form as above.
(function () {
  'use strict';

  if (!window.XMLHttpRequest || !window.FormData) {
    return;
  }

  function percent(loaded, total) {
    return total > 0 ? Math.min(100, Math.floor((loaded * 100) / total)) : 0;
  }

  // A <progress> bar with a text label, placed after `anchor`.
  function bar(id, label, anchor) {
    var wrapper = document.createElement('span');
    wrapper.className = 'privates-progress';
    var progress = document.createElement('progress');
    progress.id = id;
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', label);
    var text = document.createElement('span');
    text.className = 'privates-progress-text';
    text.textContent = '0 %';
    wrapper.appendChild(progress);
    wrapper.appendChild(text);
    anchor.parentNode.insertBefore(wrapper, anchor.nextSibling);
    return {
      set: function (value) {
        progress.value = value;
        text.textContent = value + ' %';
      },
      remove: function () {
        wrapper.parentNode.removeChild(wrapper);
      }
    };
  }

  function enhance(form) {
    var sending = null;

    form.addEventListener('submit', function (event) {
      if (sending) {
        event.preventDefault();
        return;
      }
      // Each file input with a chosen file, in the order its bytes go in the body.
      var chosen = [];
      var inputs = form.querySelectorAll('input[type=file]');
      for (var i = 0; i < inputs.length; i += 1) {
        var files = inputs[i].files;
        var size = 0;
        for (var j = 0; files && j < files.length; j += 1) {
          size += files[j].size;
        }
        if (files && files.length > 0) {
          chosen.push({ input: inputs[i], size: size });
        }
      }
      if (chosen.length === 0) {
        return; // nothing long to wait for: the plain form post
      }
      event.preventDefault();
      var submitter = event.submitter;
      var submitRow = form.querySelector('.submit-row') || form;
      var status = document.createElement('div');
      status.className = 'privates-upload-status';
      status.setAttribute('role', 'status');
      submitRow.appendChild(status);
      var whole = bar(form.id + '_progress', 'Upload', status.appendChild(document.createElement('span')));
      var cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'privates-upload-cancel';
      cancel.textContent = 'Cancel upload';
      status.appendChild(cancel);
      var message = document.createElement('span');
      message.className = 'privates-upload-message';
      status.appendChild(message);
      for (var k = 0; k < chosen.length; k += 1) {
        chosen[k].bar = bar(chosen[k].input.id + '_progress', 'Upload of ' + chosen[k].input.name, chosen[k].input);
      }
      var buttons = form.querySelectorAll('button[type=submit], input[type=submit]');
      function busy(on) {
        for (var b = 0; b < buttons.length; b += 1) {
          buttons[b].disabled = on;
        }
      }

      var action = form.action;
      var request = null;
      var cancelled = false;

      // The file bars of `rest` (the files still in the form's body) follow the form's
      // request.
      function show(loaded, total) {
        whole.set(percent(loaded, total));
        // The body's other parts are small: count them before the files, then fill each
        // file's bar in the order of the body.
        var files = 0;
        for (var f = 0; f < rest.length; f += 1) {
          files += rest[f].size;
        }
        var done = loaded - Math.max(0, total - files);
        for (var g = 0; g < rest.length; g += 1) {
          var own = Math.max(0, Math.min(rest[g].size, done));
          rest[g].bar.set(rest[g].size > 0 ? percent(own, rest[g].size) : 100);
          done -= rest[g].size;
        }
      }

      function finish(text) {
        sending = null;
        busy(false);
        whole.remove();
        cancel.parentNode.removeChild(cancel);
        for (var h = 0; h < chosen.length; h += 1) {
          chosen[h].bar.remove();
        }
        message.textContent = text;
      }

      function lost() {
        finish('The upload failed: the connection was lost. Nothing was saved; try again.');
      }

      function aborted() {
        finish('Upload cancelled. Nothing was saved.');
      }

      // The files that go in the form's body (not sent to the bucket).
      var rest = [];

      // The form's own request, without the bytes of the files sent to the bucket.
      function post(direct) {
        var body = new FormData(form);
        for (var x = 0; x < direct.length; x += 1) {
          body.delete(direct[x].input.name);
        }
        // A file that goes with the form carries no ticket (one left by an earlier,
        // cancelled attempt would name another object).
        for (var r = 0; r < rest.length; r += 1) {
          body.delete(rest[r].input.name + '-direct');
        }
        if (submitter && submitter.name) {
          body.append(submitter.name, submitter.value);
        }
        request = new XMLHttpRequest();
        request.open((form.method || 'post').toUpperCase(), action);
        request.upload.addEventListener('progress', function (progress) {
          if (progress.lengthComputable && rest.length > 0) {
            show(progress.loaded, progress.total);
          }
        });
        request.upload.addEventListener('load', function () {
          whole.set(100);
          for (var d = 0; d < rest.length; d += 1) {
            rest[d].bar.set(100);
          }
        });
        request.addEventListener('load', function () {
          sending = null;
          if (request.responseURL && request.responseURL !== action) {
            // The server redirected (a saved form): go where it led.
            window.location.assign(request.responseURL);
            return;
          }
          // A page (the form again, with its errors): show it in place of this one.
          document.open();
          document.write(request.responseText);
          document.close();
        });
        request.addEventListener('error', lost);
        request.addEventListener('abort', aborted);
        request.send(body);
      }

      // The hidden input that carries the ticket of `input`'s direct upload.
      function ticketInput(input) {
        var name = input.name + '-direct';
        var hidden = form.querySelector('input[type=hidden][name="' + name + '"]');
        if (!hidden) {
          hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = name;
          form.appendChild(hidden);
        }
        return hidden;
      }

      function csrfToken() {
        var token = form.querySelector('input[name=csrf_token]');
        return token ? token.value : '';
      }

      // Sends chosen[index] and the ones after it to the bucket when they have an issuing
      // route, then posts the form.
      var direct = [];
      var directTotal = 0;
      var directDone = 0;
      for (var t = 0; t < chosen.length; t += 1) {
        if (chosen[t].input.getAttribute('data-direct-upload')) {
          directTotal += chosen[t].size;
        }
      }

      function next(index) {
        if (cancelled) {
          return;
        }
        if (index >= chosen.length) {
          post(direct);
          return;
        }
        var item = chosen[index];
        var route = item.input.getAttribute('data-direct-upload');
        var file = item.input.files[0];
        if (!route || item.input.files.length !== 1) {
          rest.push(item);
          next(index + 1);
          return;
        }
        var ask = new XMLHttpRequest();
        request = ask;
        ask.open('POST', route);
        ask.setRequestHeader('Content-Type', 'application/json');
        ask.setRequestHeader('X-CSRFToken', csrfToken());
        ask.setRequestHeader('Accept', 'application/json');
        ask.addEventListener('load', function () {
          var answer = null;
          try {
            answer = JSON.parse(ask.responseText);
          } catch (ignored) {
            answer = null;
          }
          if (ask.status === 404 || ask.status === 409) {
            // No direct uploads here: the file goes with the form.
            rest.push(item);
            next(index + 1);
            return;
          }
          if (ask.status !== 200 || !answer || !answer.url) {
            finish((answer && answer.description) || 'The upload could not be prepared.');
            return;
          }
          var put = new XMLHttpRequest();
          request = put;
          put.open(answer.method || 'PUT', answer.url);
          var headers = answer.headers || {};
          for (var h in headers) {
            if (Object.prototype.hasOwnProperty.call(headers, h)) {
              put.setRequestHeader(h, headers[h]);
            }
          }
          put.upload.addEventListener('progress', function (progress) {
            if (progress.lengthComputable) {
              item.bar.set(percent(progress.loaded, progress.total));
              whole.set(percent(directDone + progress.loaded, directTotal));
            }
          });
          put.addEventListener('load', function () {
            if (put.status < 200 || put.status >= 300) {
              finish('The upload to the storage was refused (' + put.status + '). Nothing was saved; try again.');
              return;
            }
            item.bar.set(100);
            directDone += item.size;
            whole.set(percent(directDone, directTotal));
            ticketInput(item.input).value = answer.ticket;
            direct.push(item);
            next(index + 1);
          });
          put.addEventListener('error', function () {
            // The bucket could not be reached from here (no CORS rule for this origin, a
            // network error): the file goes with the form.
            item.bar.set(0);
            directTotal -= item.size;
            rest.push(item);
            next(index + 1);
          });
          put.addEventListener('abort', aborted);
          put.send(file);
        });
        ask.addEventListener('error', lost);
        ask.addEventListener('abort', aborted);
        ask.send(JSON.stringify({ field: item.input.name, name: file.name, size: file.size }));
      }

      cancel.addEventListener('click', function () {
        cancelled = true;
        if (request) {
          request.abort();
        }
      });

      busy(true);
      sending = true;
      next(0);
    });
  }

  function start() {
    var forms = document.querySelectorAll('form[enctype="multipart/form-data"]');
    for (var i = 0; i < forms.length; i += 1) {
      enhance(forms[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
