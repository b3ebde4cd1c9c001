import type { GlobalThemeOverrides } from "naive-ui";

export const themeOverrides: GlobalThemeOverrides = {
  common: {
    primaryColor: "#0f7c86",
    primaryColorHover: "#13919c",
    primaryColorPressed: "#0b5f67",
    primaryColorSuppl: "#13919c",
    borderRadius: "6px",
    fontSize: "14px",
    fontSizeMedium: "14px",
    heightMedium: "36px",
    fontFamily: "var(--font)",
  },
  Card: { borderRadius: "10px" },
};
