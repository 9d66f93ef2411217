-- wrk script: every write carries `depth` GET requests back to back (HTTP/1.1 pipelining), so
-- the server must parse a batch and answer in order. Usage: wrk -s tools/wrk/pipeline.lua URL
-- [-- depth]; the default depth is 16.
local depth = 16

function init(args)
  if args[1] then depth = tonumber(args[1]) end
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format("GET", wrk.path)
  end
  pipelined = table.concat(batch)
end

function request()
  return pipelined
end
