-- GC-heavy: builds and drops a million small tables and strings, keeping
-- a rolling window of 10,000 alive, so the collector runs all the time.
local window = {}
local sum = 0
for i = 1, 1000000 do
  local t = { i, tostring(i), { i * 2 } }
  window[i % 10000 + 1] = t
  sum = sum + #t[2]
end
local words = {}
for i = 1, 200000 do words[#words + 1] = string.rep("x", i % 17) .. i end
table.sort(words)
print(sum, #words, words[1], collectgarbage("count") > 0)
