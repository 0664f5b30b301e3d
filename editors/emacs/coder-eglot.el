;;; coder-eglot.el --- coder's language server through eglot  -*- lexical-binding: t; -*-
;; Load with (load "/path/to/editors/emacs/coder-eglot.el"), then M-x eglot in a buffer.
;; Suggestions come as completion-at-point candidates (corfu or company show them).
(require 'eglot)

(defvar coder-eglot-command '("coder" "lsp")
  "How to start coder's language server.")

(defvar coder-eglot-init-options '(:context "repo" :maxTokens 64)
  "Settings for the server: model, context, budget, maxTokens, grounding, multiline,
candidates, typingDeadlineMs, debounceMs, features.")

(dolist (mode '(python-mode python-ts-mode js-mode js-ts-mode typescript-ts-mode
                go-mode go-ts-mode rust-mode rust-ts-mode c-mode c++-mode java-mode sh-mode))
  (add-to-list 'eglot-server-programs
               `(,mode . (,@coder-eglot-command :initializationOptions ,coder-eglot-init-options))))

(provide 'coder-eglot)
;;; coder-eglot.el ends here
