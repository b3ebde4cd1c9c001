import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// Tauri loads the built files from ui/dist; the dev server is only for UI work and screen tests.
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  // ../icons holds the app icon, shared with the Tauri bundle.
  server: { port: 5173, strictPort: true, host: "127.0.0.1", fs: { allow: [".."] } },
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  test: {
    environment: "happy-dom",
    include: ["tests/unit/**/*.test.ts"],
  },
});
