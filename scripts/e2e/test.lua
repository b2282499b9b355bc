-- Exercises the parts of libc lua reaches: math, strings (printf machinery), io, os, tables,
-- errors. Output is deterministic so that runs on the generic and tailored libc compare.
print(string.format("math: %.6f %.6f %d %g %s", math.sin(1), math.sqrt(2), math.floor(-3.5),
  2^0.5, tostring(math.huge)))
print(string.format("fmod %.3f, exp %.4e, log %.5f, tointeger %s", math.fmod(7.5, 2),
  math.exp(10), math.log(10, 2), tostring(math.tointeger(3.0))))
math.randomseed(42)
local r = {}
for i = 1, 5 do r[i] = math.random(1, 100) end
print("random: " .. table.concat(r, " "))

local s = "The quick brown fox jumps over the lazy dog"
print(("strings: %s | %s | %d"):format(s:upper(), s:reverse():sub(1, 9), #s))
print("gsub:", (s:gsub("%w+", function(w) return #w end)))
print("find:", s:find("fox"), s:match("(%a+) dog"))
print("pack:", string.unpack("<i4", string.pack("<i4", 123456)))
print("format:", string.format("%5.2f|%-6s|%x|%q", 3.14159, "ab", 255, "a\nb"))

local t = {}
for i = 1, 20 do t[i] = (i * 7919) % 101 end
table.sort(t)
print("sorted: " .. table.concat(t, ","))
table.insert(t, 1, -1)
print("tables:", #t, t[1], table.remove(t), select("#", table.unpack(t)))

local name = os.tmpname()
local f = assert(io.open(name, "w"))
f:write("line one\n", 2, "\n", 3.5, "\n")
f:close()
for line in io.lines(name) do io.write("io: ", line, "\n") end
local g = assert(io.open(name, "r"))
print("io read:", g:read("l"), g:read("n"), g:read("n"))
g:close()
print("remove:", os.remove(name))
print("open missing:", io.open("/nonexistent/tailor/file"))

print("os:", os.getenv("TAILOR_LUA_VAR"), type(os.time()), type(os.clock()))
print("date:", os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365))
print("time:", os.time({year = 2000, month = 1, day = 1, hour = 12}) ~= nil)

print("pcall:", pcall(error, "boom"))
local tok, terr = pcall(error, {code = 7})
print("pcall table:", tok, type(terr), terr.code)
local ok, err = pcall(function() local x = nil; return x.field end)
print("runtime error:", ok, err)
print("xpcall:", xpcall(function() error("deep", 0) end, function(m) return "handled " .. m end))
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
print("coroutine:", co(1), co(10))
print("tostring:", tostring(1/3), tostring(1e300 * 1e10), tostring(-0.0), 7 // 2, 7 % -3)
