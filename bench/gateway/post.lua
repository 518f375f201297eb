-- wrk script: POST a ~1 KB chat completion body. STREAM=1 in the environment asks for SSE.
local filler = string.rep("The quick brown fox jumps over the lazy dog. ", 19)
local stream = os.getenv("STREAM") == "1"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = '{"model":"bench","messages":[{"role":"system","content":"You are terse."},' ..
           '{"role":"user","content":"' .. filler .. '"}],"temperature":0' ..
           (stream and ',"stream":true' or '') .. '}'
