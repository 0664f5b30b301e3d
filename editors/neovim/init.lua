-- A minimal init.lua that only sets up coder: `nvim -u editors/neovim/init.lua FILE`.
-- In your own config, put editors/neovim on 'runtimepath' (or copy coder.lua into
-- lua/) and call require('coder').setup().
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
package.path = here .. '/?.lua;' .. package.path
vim.opt.completeopt = { 'menuone', 'noselect', 'popup' }
local cmd = vim.env.CODER_LSP_CMD and vim.split(vim.env.CODER_LSP_CMD, ' ') or nil
require('coder').setup({ cmd = cmd })
