import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // livekit-client alone is over 500 kB; one chunk per page is fine for a demo served from loopback.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        agent: resolve(import.meta.dirname, "agent.html"),
        customer: resolve(import.meta.dirname, "customer.html"),
        supervisor: resolve(import.meta.dirname, "supervisor.html"),
      },
    },
  },
});
