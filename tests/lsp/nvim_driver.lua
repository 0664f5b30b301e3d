-- Drives a headless Neovim (started with editors/neovim/init.lua) through one real
-- completion: waits for the coder client and a ready server, types `A` (append) and
-- <C-Space> (the config's "ask" key), records the menu Neovim shows, accepts the
-- first item with <C-n><C-y>, records the line, and writes it all as JSON.
local out = vim.env.CODER_TEST_OUT
local result = { steps = {} }

local function finish(err)
  result.error = err
  local file = assert(io.open(out, 'w'))
  file:write(vim.json.encode(result))
  file:close()
  vim.cmd('qa!')
end

local function keys(text, mode)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(text, true, false, true), mode, false)
end

local function poll(check, then_do, timeout_ms, what)
  local waited = 0
  local timer = vim.uv.new_timer()
  timer:start(50, 50, vim.schedule_wrap(function()
    waited = waited + 50
    if check() then
      timer:stop(); timer:close(); then_do()
    elseif waited > timeout_ms then
      timer:stop(); timer:close(); finish('timed out waiting for ' .. what)
    end
  end))
end

local client
local attached = vim.wait(60000, function()
  client = vim.lsp.get_clients({ name = 'coder', bufnr = 0 })[1]
  return client ~= nil
end, 100)
if not attached then
  return finish('the coder client never attached')
end
local ready = vim.wait(180000, function()
  local reply = client:request_sync('coder/status', vim.empty_dict(), 5000, 0)
  return reply and reply.result and reply.result.ready and reply.result.indexReady
end, 200)
if not ready then
  return finish('the server never became ready')
end
table.insert(result.steps, 'ready')

vim.api.nvim_create_autocmd('CompleteDone', {
  once = true,
  callback = function()
    result.completed_item = vim.v.completed_item
    vim.defer_fn(function()
      result.line = vim.api.nvim_get_current_line()
      local reply = client:request_sync('coder/status', vim.empty_dict(), 5000, 0)
      result.served = reply and reply.result and reply.result.served
      finish(nil)
    end, 300)
  end,
})

keys('A', 'n')
vim.defer_fn(function()
  keys('<C-Space>', 'm')
  poll(function() return vim.fn.pumvisible() == 1 end, function()
    result.menu = vim.fn.complete_info({ 'items', 'mode' })
    keys('<C-n><C-y>', 'n')
  end, 120000, 'the completion menu')
end, 200)
