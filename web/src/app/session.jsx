// Who is signed in: the token of this tab, and the viewer the hub says it belongs to.
import { createContext, useContext } from "react";

export const Session = createContext(null);

export function useSession() {
  return useContext(Session);
}

export const VIEWER = "{ viewer { user role unit seesPersonalData may } }";
