{
  "targets": [
    {
      "target_name": "noise_chat_aead",
      "sources": ["native/aead.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
