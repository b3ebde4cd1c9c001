// The patient list against a stubbed API: search as you type, empty states, Enter opens the first hit.
import { afterEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { defineComponent, h } from "vue";
import { NMessageProvider } from "naive-ui";
import { i18n, setLocale } from "../../src/i18n";
import type { PatientSummary } from "../../src/bindings/PatientSummary";

const rows: PatientSummary[] = [
  { id: "a", name: "张伟明", sex: "M", age: 46, phone: "13812345678", paymentType: "self-pay", hasAllergies: true, visitCount: 2, lastVisitAt: "2026-11-20T09:30:00+08:00", archived: false },
  { id: "b", name: "李小红", sex: "F", age: 30, phone: null, paymentType: null, hasAllergies: false, visitCount: 0, lastVisitAt: null, archived: false },
];

const patientList = vi.fn(async () => rows);
const patientSearch = vi.fn(async (q: string) => rows.filter((r) => r.name.includes(q)));
vi.mock("../../src/api", async (orig) => ({
  ...(await orig<typeof import("../../src/api")>()),
  api: { patientList: (...a: unknown[]) => patientList(...(a as [])), patientSearch: (q: string) => patientSearch(q) },
}));

import PatientsView from "../../src/components/PatientsView.vue";

function mountView() {
  const Wrapper = defineComponent({ render: () => h(NMessageProvider, () => h(PatientsView)) });
  return mount(Wrapper, { global: { plugins: [i18n] }, attachTo: document.body });
}

afterEach(() => {
  document.body.innerHTML = "";
  vi.clearAllMocks();
});

describe("PatientsView", () => {
  it("lists patients with translated payment type and an allergy tag", async () => {
    setLocale("zh-TW");
    const w = mountView();
    await flushPromises();
    const trs = w.findAll("[data-testid=patient-row]");
    expect(trs).toHaveLength(2);
    expect(trs[0].text()).toContain("张伟明");
    expect(trs[0].text()).toContain("自費");
    expect(trs[0].text()).toContain("過敏");
    expect(w.find("[data-testid=patient-count]").text()).toBe("共 2 位病患");
  });

  it("searches as you type and says when nothing matches", async () => {
    vi.useFakeTimers();
    setLocale("en");
    const w = mountView();
    await flushPromises();
    const input = w.find("[data-testid=patient-search]");
    await input.setValue("小红");
    vi.advanceTimersByTime(100);
    await flushPromises();
    expect(patientSearch).toHaveBeenCalledWith("小红");
    expect(w.findAll("[data-testid=patient-row]")).toHaveLength(1);
    await input.setValue("nobody");
    vi.advanceTimersByTime(100);
    await flushPromises();
    expect(w.find("[data-testid=patient-empty]").text()).toContain("No patient matches “nobody”.");
    vi.useRealTimers();
  });

  it("opens the first hit on Enter", async () => {
    setLocale("en");
    const w = mountView();
    await flushPromises();
    await w.find("[data-testid=patient-search]").trigger("keydown", { key: "Enter" });
    const view = w.findComponent(PatientsView);
    expect(view.emitted("open")?.[0]).toEqual(["a"]);
  });
});
