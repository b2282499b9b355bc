-- Run by lua inside OSv (scripts/osv-build.sh puts it at /tailor/test.lua): the parts of libc
-- lua reaches (math, the printf machinery, string functions, tables, errors, time), without
-- writing files (the root file system is read-only). Deterministic output, compared between a
-- generic and a tailored kernel.
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
print("tonumber:", tonumber("0x1p4"), tonumber("  12.5e1 "), tonumber("z", 36))
print("pcall:", pcall(error, {code = 7}), select(2, pcall(error, "boom", 0)))
print("date:", os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365), os.time({year = 2000, month = 1, day = 1, hour = 12}) ~= nil)
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
print("coroutine:", co(1), co(10))
local f = io.open(arg[0])  -- this script (/tailor/test.lua in the image)
print("io:", f ~= nil and f:read("l"):sub(1, 12))
if f then f:close() end
print("lua on OSv: done")
