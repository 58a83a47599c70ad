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

      var body = new FormData(form);
      var submitter = event.submitter;
      if (submitter && submitter.name) {
        body.append(submitter.name, submitter.value);
      }
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

      var request = new XMLHttpRequest();
      sending = request;
      var action = form.action;
      request.open((form.method || 'post').toUpperCase(), action);

      function show(loaded, total) {
        whole.set(percent(loaded, total));
        // The body's other parts are small: count them before the files, then fill each
        // file's bar in the order of the body.
        var files = 0;
        for (var f = 0; f < chosen.length; f += 1) {
          files += chosen[f].size;
        }
        var done = loaded - Math.max(0, total - files);
        for (var g = 0; g < chosen.length; g += 1) {
          var own = Math.max(0, Math.min(chosen[g].size, done));
          chosen[g].bar.set(chosen[g].size > 0 ? percent(own, chosen[g].size) : 100);
          done -= chosen[g].size;
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

      request.upload.addEventListener('progress', function (progress) {
        if (progress.lengthComputable) {
          show(progress.loaded, progress.total);
        }
      });
      request.upload.addEventListener('load', function () {
        whole.set(100);
        for (var d = 0; d < chosen.length; d += 1) {
          chosen[d].bar.set(100);
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
      request.addEventListener('error', function () {
        finish('The upload failed: the connection was lost. Nothing was saved; try again.');
      });
      request.addEventListener('abort', function () {
        finish('Upload cancelled. Nothing was saved.');
      });
      cancel.addEventListener('click', function () {
        request.abort();
      });

      busy(true);
      request.send(body);
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
