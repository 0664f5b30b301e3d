;;; coder-lsp-mode.el --- coder's language server through lsp-mode  -*- lexical-binding: t; -*-
;; Load with (load "/path/to/editors/emacs/coder-lsp-mode.el"), then M-x lsp.
;; coder runs as an add-on server next to the language's own server.
(require 'lsp-mode)

(defvar coder-lsp-command '("coder" "lsp")
  "How to start coder's language server.")

(lsp-register-client
 (make-lsp-client
  :new-connection (lsp-stdio-connection (lambda () coder-lsp-command))
  :activation-fn (lsp-activate-on "python" "javascript" "typescript" "go" "rust" "c" "cpp" "java" "shellscript")
  :add-on? t
  :priority -1
  :initialization-options (lambda () '(:context "repo" :maxTokens 64))
  :server-id 'coder))

(provide 'coder-lsp-mode)
;;; coder-lsp-mode.el ends here
