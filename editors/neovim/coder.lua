-- coder for Neovim's built-in LSP client (0.11+).
--
--   require('coder').setup()            -- with this folder on 'runtimepath'
--   or: nvim -u editors/neovim/init.lua
--
-- Neovim 0.12+: ghost text through vim.lsp.inline_completion (<Tab> accepts).
-- Neovim 0.11: the suggestion is an item of the completion menu (vim.lsp.completion;
-- <C-y> accepts, <C-Space> asks).
local M = {}

M.filetypes = {
  'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust',
  'java', 'c', 'cpp', 'sh', 'bash', 'json', 'lua', 'ruby', 'toml', 'yaml', 'markdown',
}

local function on_attach(client, bufnr, opts)
  if vim.lsp.inline_completion and opts.inline ~= false then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    vim.keymap.set('i', opts.accept_key or '<Tab>', function()
      if not vim.lsp.inline_completion.get() then
        return opts.accept_key or '<Tab>'
      end
    end, { expr = true, buffer = bufnr, desc = 'coder: accept the suggestion' })
  else
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = opts.autotrigger ~= false })
    vim.keymap.set('i', opts.ask_key or '<C-Space>', vim.lsp.completion.get,
      { buffer = bufnr, desc = 'coder: ask for a suggestion' })
  end
end

function M.setup(opts)
  opts = opts or {}
  vim.lsp.config('coder', {
    cmd = opts.cmd or { 'coder', 'lsp' },
    filetypes = opts.filetypes or M.filetypes,
    root_markers = { '.coder.toml', '.git' },
    -- Settings the server reads (see editors/README.md): model, context, budget,
    -- maxTokens, grounding, multiline, candidates, typingDeadlineMs, debounceMs, features.
    init_options = opts.init_options or {},
  })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = vim.api.nvim_create_augroup('coder-lsp', { clear = true }),
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == 'coder' then
        on_attach(client, args.buf, opts)
      end
    end,
  })
  vim.lsp.enable('coder')
end

return M
